using System.Diagnostics;
using System.Runtime.CompilerServices;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;

namespace MovieRec.Core.Training;

/// <summary>How <see cref="BundleTrainer.Train(MovieLensDataset, BundleTrainingOptions)"/> builds a bundle.</summary>
public sealed record BundleTrainingOptions
{
    /// <summary>The models a bundle holds unless told otherwise.</summary>
    public const string DefaultModelList = "baseline,popular,svd,implicit-als,item-knn,content,hybrid";

    /// <summary>Model names (see <see cref="BundleTrainer.ParseModels"/>).</summary>
    public IReadOnlyList<string> Models { get; init; } = BundleTrainer.ParseModels(DefaultModelList);

    /// <summary>The models folder the bundle is published into.</summary>
    public string Output { get; init; } = "models";

    /// <summary>Also fit each model on a 90% split and record its holdout metrics in the manifest.</summary>
    public bool Evaluate { get; init; }

    /// <summary>Bundles to keep, the new one included.</summary>
    public int Keep { get; init; } = 3;

    /// <summary>Seed of the models (unless an override sets one) and of the holdout.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Users' option values by model name.</summary>
    public ModelOverrides Overrides { get; init; } = ModelOverrides.None;

    public TrainingOptions? Training { get; init; }

    /// <summary>The live feedback the bundle learned from, recorded in its manifest (null: none).</summary>
    public Feedback.FeedbackWatermarkManifest? Feedback { get; init; }

    /// <summary>Receives one line per step.</summary>
    public Action<string> Log { get; init; } = _ => { };
}

/// <summary>Fits named models on all ratings of a dataset and publishes them as one bundle (the CLI's train, the API's first start).</summary>
public static class BundleTrainer
{
    /// <summary>Model names from a comma-separated list, or every model for "all".</summary>
    public static IReadOnlyList<string> ParseModels(string names) =>
        names.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)
            ? ModelRegistry.Names
            : [.. names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>Resolves the models and their options; fails on an unknown model or option before any work.</summary>
    public static IReadOnlyList<ResolvedModel> Resolve(BundleTrainingOptions options) =>
        options.Overrides.Resolve(options.Models, new ModelContext(options.Seed));

    /// <summary>Fits each model on all ratings (and, with evaluation, on a 90% split to measure it) and publishes the bundle.</summary>
    public static string Train(MovieLensDataset dataset, BundleTrainingOptions options) => Train(ref dataset, options);

    /// <summary>
    /// As <see cref="Train(MovieLensDataset, BundleTrainingOptions)"/>, but takes the ratings array from the caller:
    /// once the rating matrix is built, <paramref name="dataset"/> becomes <see cref="MovieLensDataset.WithoutRatings"/>,
    /// so a caller that holds no other reference lets 600 MB go at 25 M ratings (the CLI's train).
    /// </summary>
    public static string Train(ref MovieLensDataset dataset, BundleTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        BundleStore.ValidateKeep(options.Keep);
        IReadOnlyList<ResolvedModel> resolved = options.Overrides.Resolve(options.Models, new ModelContext(options.Seed) { TrainingRatings = dataset.Ratings.Length });
        var context = new ModelContext(options.Seed, dataset.Movies, dataset.Tags) { TrainingRatings = dataset.Ratings.Length };
        IRecommenderTrainer[] trainers = [.. resolved.Select(r => r.CreateTrainer(context))];
        (RatingMatrix all, DataSplit? holdout, RatingMatrix? holdoutTrain) = TakeRatings(ref dataset, options);
        CollectIfLarge(all);
        var trained = new List<TrainedModel>();
        for (int m = 0; m < trainers.Length; m++)
        {
            IRecommenderTrainer trainer = trainers[m];
            HoldoutMetrics? metrics = null;
            if (holdout is not null)
            {
                FoldResult r = CrossValidator.EvaluateOne(trainer, holdoutTrain!, holdout, new EvaluationOptions { K = 10 });
                metrics = new HoldoutMetrics(r.Rmse, r.Mae, r.Ranking?.Precision, r.Ranking?.Ndcg, 10);
                options.Log(FormattableString.Invariant($"{trainer.Name}: holdout RMSE {r.Rmse:0.0000}, NDCG@10 {r.Ranking?.Ndcg:0.0000}"));
            }

            var clock = Stopwatch.StartNew();
            IRecommenderModel model = trainer.Fit(all, options.Training);
            double seconds = clock.Elapsed.TotalSeconds;
            options.Log(FormattableString.Invariant($"{trainer.Name}: trained on {all.Count:N0} ratings in {seconds:0.00} s"));
            trained.Add(new TrainedModel(model, resolved[m].OptionValues, seconds, metrics));
        }

        // The trainers' working copies (an SGD fit's 300 MB of entries at 25 M ratings) are garbage now; the bundle's
        // check loads it back, which needs about as much again.
        CollectIfLarge(all);
        return BundleStore.Publish(options.Output, dataset, all, trained, options.Keep, options.Log, options.Feedback);
    }

    /// <summary>
    /// The rating matrix (and the holdout split) of the dataset, which becomes <see cref="MovieLensDataset.WithoutRatings"/>:
    /// the matrices hold the ratings now, and the array can go (600 MB at 25 M ratings) unless the caller keeps it. A
    /// method of its own, so no temporary of the caller's frame keeps the array alive (unoptimized code reports its
    /// temporaries live to the end of the method).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (RatingMatrix All, DataSplit? Holdout, RatingMatrix? HoldoutTrain) TakeRatings(ref MovieLensDataset dataset, BundleTrainingOptions options)
    {
        RatingMatrix all = RatingMatrix.Build(dataset.Ratings);
        DataSplit? holdout = options.Evaluate ? Splitters.Holdout(dataset.Ratings, 0.1, options.Seed) : null;
        RatingMatrix? holdoutTrain = holdout is null ? null : RatingMatrix.Build(holdout.Train);
        dataset = dataset.WithoutRatings();
        return (all, holdout, holdoutTrain);
    }

    /// <summary>
    /// From a million ratings up, a full collection at the points where hundreds of megabytes just became garbage, so
    /// the next large arrays reuse that memory instead of adding to the peak (25 M ratings: 2.1 GB peak without).
    /// </summary>
    private static void CollectIfLarge(RatingMatrix ratings)
    {
        if (ratings.Count >= 1_000_000)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
    }
}
