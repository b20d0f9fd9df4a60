using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace MovieRec.Api.Extensions;

/// <summary>Endpoint metadata: the endpoint needs an API key in the <c>X-Api-Key</c> header.</summary>
public sealed class ApiKeyRequiredMetadata
{
    public static readonly ApiKeyRequiredMetadata Instance = new();
}

/// <summary>
/// How endpoints describe themselves in the OpenAPI document (the contract in <c>openapi/movierec.v1.json</c>):
/// tags with descriptions, <c>[Description]</c> and <c>[Range]</c> on handler parameters, the key-protected
/// endpoints, the problem responses every endpoint can give, and required fields of responses.
/// </summary>
public static class OpenApiConventions
{
    /// <summary>Name of the API-key security scheme (header <c>X-Api-Key</c>).</summary>
    public const string ApiKeyScheme = "ApiKey";

    /// <summary>One line per tag; an endpoint group with a new tag adds its line here (a test checks every tag has one).</summary>
    public static readonly IReadOnlyDictionary<string, string> TagDescriptions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Predictions"] = "Predicted ratings for (user, movie) pairs, one at a time or in batches.",
        ["Recommendations"] = "Ranked movies for a user in the training data or for a visitor from the ratings they give.",
        ["Movies"] = "The catalogue: search by title and genre, one movie, similar movies.",
        ["Users"] = "Users of the training data and their ratings.",
        ["Models"] = "The bundle being served and its models.",
        ["Admin"] = "Operations that need the admin API key (X-Api-Key); rate-limited strictly per client address.",
        ["Experiments"] = "A/B and interleaving experiments between models: their definitions and statistics.",
        ["Feedback"] = "Live ratings and interaction events (a write key when keys are configured); a user's next recommendations follow them.",
        ["Health"] = "The service's state: GET /health as JSON detail; /health/live and /health/ready as plain text for probes (never need a key).",
    };

    /// <summary>
    /// Marks the endpoint as needing <c>X-Api-Key</c>: the document shows the security scheme, 401 and 403 on it.
    /// Endpoints with a <see cref="RequiresRole"/> (<c>RequireRole</c>) are documented the same way.
    /// </summary>
    public static TBuilder RequiresApiKey<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(ApiKeyRequiredMetadata.Instance);

    /// <summary>
    /// Responses are positional records (the response contracts), which always write every property (null where
    /// nullable): all their properties are required, except any a <c>[JsonIgnore]</c> condition may leave out.
    /// </summary>
    internal sealed class RequiredResponsePropertiesFilter : ISchemaFilter
    {
        public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
        {
            if (schema is not OpenApiSchema concrete || concrete.Properties is not { Count: > 0 } properties || !IsPositionalRecord(context.Type))
            {
                return;
            }

            HashSet<string> optional = [.. context.Type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.GetCustomAttribute<System.Text.Json.Serialization.JsonIgnoreAttribute>() is not null)
                .Select(p => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(p.Name))];
            concrete.Required ??= new SortedSet<string>(StringComparer.Ordinal);
            foreach (string name in properties.Keys.Where(n => !optional.Contains(n)))
            {
                concrete.Required.Add(name);
            }
        }

        private static bool IsPositionalRecord(Type type)
        {
            if (type.GetMethod("<Clone>$") is null)
            {
                return false;
            }

            HashSet<string> names = [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name)];
            return type.GetConstructors().Any(c => c.GetParameters() is { Length: > 0 } parameters
                && parameters.All(p => p.Name is not null && names.Contains(p.Name)));
        }
    }

    /// <summary><c>[Description]</c> and <c>[Range]</c> on a handler's parameter become the parameter's description and bounds.</summary>
    internal sealed class ParameterAnnotationsFilter : IParameterFilter
    {
        public void Apply(IOpenApiParameter parameter, ParameterFilterContext context)
        {
            if (parameter is not OpenApiParameter concrete || context.ParameterInfo is not ParameterInfo info)
            {
                return;
            }

            if (info.GetCustomAttribute<DescriptionAttribute>() is { } description)
            {
                concrete.Description = description.Description;
            }

            if (info.GetCustomAttribute<RangeAttribute>() is { } range && concrete.Schema is OpenApiSchema schema)
            {
                schema.Minimum = Convert.ToString(range.Minimum, CultureInfo.InvariantCulture);
                schema.Maximum = Convert.ToString(range.Maximum, CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary>
    /// The problem responses: 400/413/415 where there is a body, 401/403 and the security requirement where a key
    /// is needed, 429 (with Retry-After) and 503 everywhere; a described 404 where the endpoint declares one.
    /// </summary>
    internal sealed class ProblemResponsesFilter : IOperationFilter
    {
        private static readonly Dictionary<int, string> Descriptions = new()
        {
            [400] = "A field is missing, null, malformed or out of range; errors.<field> names it.",
            [401] = "The X-Api-Key header is missing or wrong.",
            [403] = "The operation is disabled: no API key is configured for it.",
            [404] = "The user or movie is not in the served bundle; the problem names the id.",
            [413] = "The request body is larger than MovieRec:MaxRequestBodyBytes.",
            [415] = "The request body is not application/json.",
            [429] = "Too many requests from this client address; Retry-After says how many seconds to wait.",
            [500] = "The server failed; for a reload, the previous bundle keeps serving.",
            [503] = "No model bundle is serving yet: loading, training, or a failed first start being retried (see /health/ready).",
        };

        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            IOpenApiSchema problem = context.SchemaGenerator.GenerateSchema(typeof(ProblemDetails), context.SchemaRepository);
            operation.Responses ??= [];
            bool hasBody = context.ApiDescription.ParameterDescriptions.Any(p => p.Source == BindingSource.Body);
            IList<object> metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
            bool keyed = metadata.OfType<ApiKeyRequiredMetadata>().Any() || metadata.OfType<RequiresRole>().Any();
            if (hasBody)
            {
                Add(operation, 400, problem);
                Add(operation, 413, problem);
                Add(operation, 415, problem);
            }

            if (keyed)
            {
                Add(operation, 401, problem);
                Add(operation, 403, problem);
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, context.Document)] = [] }];
            }

            Add(operation, 429, problem).Headers = new Dictionary<string, IOpenApiHeader>
            {
                ["Retry-After"] = new OpenApiHeader
                {
                    Description = "Seconds to wait before retrying.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
                },
            };
            Add(operation, 503, problem);

            // Describe the problem responses endpoints declare themselves (ProducesProblem, ValidationProblem).
            foreach ((string code, IOpenApiResponse response) in operation.Responses)
            {
                if (response is OpenApiResponse concrete && int.TryParse(code, CultureInfo.InvariantCulture, out int status)
                    && Descriptions.TryGetValue(status, out string? description) && concrete.Description == ReasonPhrases.GetReasonPhrase(status))
                {
                    concrete.Description = description;
                }
            }
        }

        private static OpenApiResponse Add(OpenApiOperation operation, int status, IOpenApiSchema problem)
        {
            string code = status.ToString(CultureInfo.InvariantCulture);
            if (operation.Responses!.TryGetValue(code, out IOpenApiResponse? existing) && existing is OpenApiResponse found)
            {
                return found;
            }

            var response = new OpenApiResponse
            {
                Description = Descriptions[status],
                Content = new Dictionary<string, IOpenApiMediaType> { ["application/problem+json"] = new OpenApiMediaType { Schema = problem } },
            };
            operation.Responses[code] = response;
            return response;
        }
    }

    /// <summary>
    /// Every tag the operations use, with its description from <see cref="TagDescriptions"/>; and an explicit
    /// "no credentials needed" default (<c>security: [{}]</c>) that key-protected operations override.
    /// </summary>
    internal sealed class DocumentConventionsFilter : IDocumentFilter
    {
        public void Apply(OpenApiDocument swaggerDoc, DocumentFilterContext context)
        {
            swaggerDoc.Security = [new OpenApiSecurityRequirement()];
            string[] used = [.. swaggerDoc.Paths.Values
                .SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
                .SelectMany(o => o.Tags ?? Enumerable.Empty<OpenApiTagReference>())
                .Select(t => t.Name)
                .OfType<string>()
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)];
            swaggerDoc.Tags = new HashSet<OpenApiTag>(used.Select(name => new OpenApiTag { Name = name, Description = TagDescriptions.GetValueOrDefault(name) }));
        }
    }
}
