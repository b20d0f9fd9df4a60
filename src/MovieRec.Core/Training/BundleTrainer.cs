using System.Diagnostics;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Models;

namespace MovieRec.Core.Training;

/// <summary>How <see cref="BundleTrainer.Train"/> builds a bundle.</summary>
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
    public static string Train(MovieLensDataset dataset, BundleTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        BundleStore.ValidateKeep(options.Keep);
        IReadOnlyList<ResolvedModel> resolved = Resolve(options);
        var context = new ModelContext(options.Seed, dataset.Movies, dataset.Tags);
        IRecommenderTrainer[] trainers = [.. resolved.Select(r => r.CreateTrainer(context))];
        RatingMatrix all = RatingMatrix.Build(dataset.Ratings);
        DataSplit? holdout = options.Evaluate ? Splitters.Holdout(dataset.Ratings, 0.1, options.Seed) : null;
        RatingMatrix? holdoutTrain = holdout is null ? null : RatingMatrix.Build(holdout.Train);
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

        return BundleStore.Publish(options.Output, dataset, all, trained, options.Keep, options.Log, options.Feedback);
    }
}
