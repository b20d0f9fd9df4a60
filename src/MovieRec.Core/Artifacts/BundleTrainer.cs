using System.Diagnostics;
using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;

namespace MovieRec.Core.Artifacts;

/// <summary>Fits named models on all ratings of a dataset and publishes them as one bundle (the CLI's train, the API's first start).</summary>
public static class BundleTrainer
{
    /// <summary>The models a bundle holds unless told otherwise.</summary>
    public const string DefaultModels = "baseline,popular,svd,implicit-als,item-knn,content,hybrid";

    /// <summary>Model names from a comma-separated list, or every model for "all".</summary>
    public static IReadOnlyList<string> ParseModels(string names) =>
        names.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)
            ? ModelCatalog.Names
            : [.. names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>Fits each model on all ratings (and, with <paramref name="evaluate"/>, on a 90% split to measure it) and publishes the bundle.</summary>
    public static string Train(MovieLensDataset dataset, IReadOnlyList<string> names, string output, bool evaluate, int keep, int seed,
        Action<string> log, TrainingOptions? training = null, Feedback.FeedbackWatermarkManifest? feedback = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(log);
        BundleStore.ValidateKeep(keep);
        var context = new ModelContext(seed, dataset.Movies, dataset.Tags);
        IRecommenderTrainer[] trainers = [.. names.Select(n => ModelCatalog.Create(n, context))];
        RatingMatrix all = RatingMatrix.Build(dataset.Ratings);
        DataSplit? holdout = evaluate ? Splitters.Holdout(dataset.Ratings, 0.1, seed) : null;
        RatingMatrix? holdoutTrain = holdout is null ? null : RatingMatrix.Build(holdout.Train);
        var trained = new List<TrainedModel>();
        foreach (IRecommenderTrainer trainer in trainers)
        {
            HoldoutMetrics? metrics = null;
            if (holdout is not null)
            {
                FoldResult r = CrossValidator.EvaluateOne(trainer, holdoutTrain!, holdout, new EvaluationOptions { K = 10 });
                metrics = new HoldoutMetrics(r.Rmse, r.Mae, r.Ranking?.Precision, r.Ranking?.Ndcg, 10);
                log(FormattableString.Invariant($"{trainer.Name}: holdout RMSE {r.Rmse:0.0000}, NDCG@10 {r.Ranking?.Ndcg:0.0000}"));
            }

            var clock = Stopwatch.StartNew();
            IRecommenderModel model = trainer.Fit(all, training);
            double seconds = clock.Elapsed.TotalSeconds;
            log(FormattableString.Invariant($"{trainer.Name}: trained on {all.Count:N0} ratings in {seconds:0.00} s"));
            trained.Add(new TrainedModel(model, trainer.GetType().GetProperty("Options")?.GetValue(trainer), seconds, metrics));
        }

        return BundleStore.Publish(output, dataset, all, trained, keep, log, feedback);
    }
}
