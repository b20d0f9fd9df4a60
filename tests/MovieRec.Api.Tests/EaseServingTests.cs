using Microsoft.AspNetCore.Mvc.Testing;
using MovieRec.Api.Contracts;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using MovieRec.Core.Models;
using MovieRec.Core.Numerics;
using MovieRec.Core.Training;

namespace MovieRec.Api.Tests;

/// <summary>EASE served: a visitor folds in exactly (x_u B from the history), with explanations, over HTTP.</summary>
public sealed class EaseServingTests
{
    [Fact]
    public async Task A_visitor_folds_into_ease_as_the_model_scores_the_history_and_is_told_why()
    {
        using var folder = new TempFolder();
        string data = Fixtures.WriteCsvDataset(folder, Fixtures.SyntheticRatings());
        string models = Path.Combine(folder.Path, "models");
        BundleTrainer.Train(MovieLensLoader.Load(data), new BundleTrainingOptions { Models = BundleTrainer.ParseModels("popular,ease"), Output = models, Keep = 1 });
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("MovieRec:ModelsPath", models);
            b.UseSetting("MovieRec:TrainOnFirstStart", "false");
            b.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        });
        using HttpClient client = factory.CreateClient();
        Assert.Equal(System.Net.HttpStatusCode.OK, await Readiness.WaitUntilReadyAsync(client));
        int[] liked = [Fixtures.MovieId(0), Fixtures.MovieId(3), Fixtures.MovieId(7), Fixtures.MovieId(12)];

        RecommendationResponse r = await ApiAssert.OkAsync<RecommendationResponse>(await client.PostAsJsonAsync("/recommend",
            new VisitorRecommendationRequest { Ratings = [.. liked.Select(m => new VisitorRating { MovieId = m, Rating = 5 })], N = 5, Model = "ease", Explain = true }));

        Assert.Equal(("ease", "fold-in"), (r.AnsweredBy, r.Method));
        IRecommenderModel ease = BundleStore.LoadCurrent(models).Models["ease"];
        UserHistory history = UserHistory.From(ease.Train, liked.Select(m => (m, 5f)));
        float[] scores = new float[ease.Train.ItemCount];
        (ease.Capabilities.FoldIn ?? throw new Xunit.Sdk.XunitException("ease should fold in")).ScoreHistory(history, scores);
        int[] top = TopK.Select(scores, 5, history.Items);
        Assert.Equal(top.Select(ease.Train.Items.RawId), r.Items.Select(i => i.MovieId));
        Assert.All(r.Items.Zip(top), p => Assert.Equal(scores[p.Second], p.First.Score, 5));
        Assert.All(r.Items, i => Assert.All(i.Because ?? [], b => Assert.Contains(b.MovieId, liked)));
        Assert.NotEmpty(r.Items[0].Because ?? []);
    }
}
