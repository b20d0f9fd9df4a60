using System.Text.Json;
using System.Text.Json.Serialization;

namespace MovieRec.Api.Contracts;

/// <summary>
/// Source-generated JSON metadata for the responses on the hot path (recommendations), first in the service's resolver
/// chain: no reflection per type at start-up, and serialization code compiled ahead. Other types fall through to the
/// reflection-based resolver with the same options.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RecommendationResponse))]
internal sealed partial class MovieRecJsonContext : JsonSerializerContext;
