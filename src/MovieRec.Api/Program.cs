using MovieRec.Api.Apis;
using MovieRec.Api.Extensions;
using MovieRec.Api.Hosting;

if (args is [RetrainWorker.Argument, string request])
{
    return RetrainWorker.Run(request);
}

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.AddMovieRec();

WebApplication app = builder.Build();
app.UseMovieRec();
app.UseMovieRecPages();

app.MapPredictionApi();
app.MapRecommendationApi();
app.MapMovieApi();
app.MapUserApi();
app.MapFeedbackApi();
app.MapModelApi();
app.MapExperimentApi();
app.MapPageApi();
app.MapMovieRecHealth();
app.MapMovieRecMetrics();

await app.RunAsync().ConfigureAwait(false);
return 0;
