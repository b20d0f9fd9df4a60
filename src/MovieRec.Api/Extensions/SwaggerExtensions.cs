using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using MovieRec.Api.Apis;
using MovieRec.Api.Contracts;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace MovieRec.Api.Extensions;

/// <summary>
/// Swagger document and UI at <c>/swagger</c>, with example bodies. The document is the contract committed as
/// <c>openapi/movierec.v1.json</c>; <see cref="OpenApiConventions"/> holds how endpoints describe themselves.
/// </summary>
public static class SwaggerExtensions
{
    public static IServiceCollection AddMovieRecSwagger(this IServiceCollection services) =>
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "MovieRec",
                Version = "v1",
                Description = "Movie recommendations over MovieLens ratings. Errors are RFC 7807 problem details "
                    + "(application/problem+json) naming the field at fault. Optional fields may be left out or null: null means the default. "
                    + "Requests are rate-limited per client address (429 with Retry-After).",
            });
            o.AddServer(new OpenApiServer { Url = "/", Description = "The address this document was fetched from (http://localhost:5080 under `dotnet run`)." });
            o.AddSecurityDefinition(OpenApiConventions.ApiKeyScheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ModelApi.ApiKeyHeader,
                Description = "The admin API key (MovieRec:AdminApiKey), for operations marked with it.",
            });
            o.SupportNonNullableReferenceTypes();
            o.SchemaFilter<ExampleSchemaFilter>();
            o.SchemaFilter<OpenApiConventions.RequiredResponsePropertiesFilter>();
            o.ParameterFilter<OpenApiConventions.ParameterAnnotationsFilter>();
            o.OperationFilter<OpenApiConventions.ProblemResponsesFilter>();
            o.DocumentFilter<OpenApiConventions.DocumentConventionsFilter>();
        });

    public static WebApplication UseMovieRecSwagger(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(o => o.DocumentTitle = "MovieRec API");
        return app;
    }

    /// <summary>Example request bodies, so "Try it out" starts from something that works on ml-latest-small.</summary>
    internal sealed class ExampleSchemaFilter : ISchemaFilter
    {
        private static readonly Dictionary<Type, string> Examples = new()
        {
            [typeof(PredictRequest)] = """{"userId":1,"movieId":1,"model":"svd","allowFallback":false}""",
            [typeof(PredictBatchRequest)] = """{"pairs":[{"userId":1,"movieId":1},{"userId":2,"movieId":318}],"model":"svd","allowFallback":false}""",
            [typeof(BatchRecommendationRequest)] = """{"userIds":[1,2,3],"n":10,"model":null,"offset":0,"excludeRated":true}""",
            [typeof(VisitorRecommendationRequest)] = """{"ratings":[{"movieId":1,"rating":5},{"movieId":2571,"rating":4.5}],"n":10,"model":"svd"}""",
            [typeof(VisitorRating)] = """{"movieId":1,"rating":5}""",
            [typeof(PredictPair)] = """{"userId":1,"movieId":1}""",
        };

        public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
        {
            if (schema is OpenApiSchema concrete && Examples.TryGetValue(context.Type, out string? json))
            {
                concrete.Examples = [JsonNode.Parse(json)!];
            }
        }
    }
}
