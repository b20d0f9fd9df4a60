using MovieRec.Api.Apis;
using MovieRec.Api.Extensions;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.AddMovieRec();

WebApplication app = builder.Build();
app.UseMovieRec();

app.MapPredictionApi();
app.MapRecommendationApi();
app.MapMovieApi();
app.MapUserApi();
app.MapFeedbackApi();
app.MapModelApi();
app.MapExperimentApi();
app.MapMovieRecHealth();

await app.RunAsync().ConfigureAwait(false);
