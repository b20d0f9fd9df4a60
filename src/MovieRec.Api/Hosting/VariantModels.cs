using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using MovieRec.Core.Data;
using MovieRec.Core.Experiments;
using MovieRec.Core.Models;

namespace MovieRec.Api.Hosting;


/// <summary>
/// The models of experiment variants that set <c>options</c>: such a variant is its registry model trained with those
/// options (<see cref="ModelRegistry.Resolve"/>, the same declarations as <c>--set model.option=value</c>) on the
/// served bundle's ratings (the dataset plus the live feedback the bundle holds). Training starts in the background
/// when the experiment is saved or first asked for, on one core, as the retrainer does; until it is done the
/// experiment enrols nobody. After a new bundle is served the variant is trained again on it, and the earlier
/// variant model keeps serving meanwhile. Each variant model is served through its own <see cref="ServedBundle"/>
/// (the bundle's catalogue and ratings with that one model), so its lists are cached apart from the bundle's model
/// of the same algorithm.
/// </summary>
public sealed partial class VariantModels(ModelHost host, IOptions<MovieRecOptions> options, ILogger<VariantModels> logger)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Whether the variant sets options, i.e. is served by a model of its own rather than the bundle's.</summary>
    public static bool HasOptions(VariantDefinition variant) => variant.Options is { Count: > 0 };

    /// <summary>The variant's model with its options in a canonical form, e.g. <c>svd{epochs=10,factors=20}</c>: one trained model per key.</summary>
    public static string Key(VariantDefinition variant)
    {
        if (!HasOptions(variant))
        {
            return variant.Model;
        }

        IEnumerable<string> pairs = variant.Options!
            .Select(o => $"{o.Key.Trim().ToLowerInvariant()}={o.Value.Trim()}")
            .Order(StringComparer.Ordinal);
        return $"{variant.Model.Trim().ToLowerInvariant()}{{{string.Join(',', pairs)}}}";
    }

    /// <summary>
    /// The bundle and model that serve <paramref name="variant"/> for a request on <paramref name="bundle"/>: the
    /// bundle's own model, or the variant's trained model (starting its training when there is none for this bundle
    /// yet). False while it is not trained.
    /// </summary>
    public bool TryResolve(ServedBundle bundle, VariantDefinition variant, out ServedBundle serving, out IRecommenderModel model)
    {
        if (!HasOptions(variant))
        {
            serving = bundle;
            bool found = bundle.Bundle.Models.TryGetValue(variant.Model, out IRecommenderModel? own);
            model = own!;
            return found;
        }

        Entry entry = Ensure(bundle, variant);
        if (entry.Served is ServedBundle trained)
        {
            serving = trained;
            model = trained.Bundle.Models.Values.First();
            return true;
        }

        serving = bundle;
        model = null!;
        return false;
    }

    /// <summary>Starts training every options variant of <paramref name="definition"/> that has no model for the served bundle yet.</summary>
    public void Prepare(ExperimentDefinition definition)
    {
        if (host.Current is ServedBundle bundle)
        {
            foreach (VariantDefinition variant in definition.Variants.Where(HasOptions))
            {
                Ensure(bundle, variant);
            }
        }
    }

    /// <summary>Where each options variant of <paramref name="definition"/> stands (empty when none sets options).</summary>
    public IReadOnlyList<VariantModelStatus> Status(ExperimentDefinition definition)
    {
        var list = new List<VariantModelStatus>();
        foreach (VariantDefinition variant in definition.Variants.Where(HasOptions))
        {
            Entry? entry = host.Current is ServedBundle bundle ? Ensure(bundle, variant) : _entries.GetValueOrDefault(Key(variant));
            string state = entry?.Served is not null ? "ready" : entry?.Error is not null ? "failed" : "training";
            list.Add(new VariantModelStatus(variant.Name, variant.Model, variant.Options!, state, entry?.Served?.Id, entry?.FitSeconds, entry?.Error));
        }

        return list;
    }

    private Entry Ensure(ServedBundle bundle, VariantDefinition variant)
    {
        string key = Key(variant);
        Entry entry = _entries.GetOrAdd(key, _ => new Entry());
        lock (entry)
        {
            // Train once per served bundle: a failure is not retried on the same bundle (its reason is shown instead).
            if (entry.TrainingFor != bundle.Id && entry.TrainedFor != bundle.Id && entry.FailedFor != bundle.Id)
            {
                entry.TrainingFor = bundle.Id;
                entry.Error = null;
                _ = Task.Factory.StartNew(() => Train(entry, key, bundle, variant), CancellationToken.None, TaskCreationOptions.DenyChildAttach, BackgroundScheduler.Training);
            }
        }

        return entry;
    }

    private void Train(Entry entry, string key, ServedBundle bundle, VariantDefinition variant)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            LogTraining(logger, key, bundle.Id);
            ModelInfo info = ModelRegistry.Info(variant.Model);
            IReadOnlyList<Tag> tags = info.NeedsCatalogue ? Tags(bundle) : [];
            var context = new ModelContext(42, info.NeedsCatalogue ? bundle.MoviesInOrder : null, info.NeedsCatalogue ? tags : null);
            ResolvedModel resolved = ModelRegistry.Resolve(variant.Model, context, variant.Options);
            IRecommenderModel model = resolved.CreateTrainer(context).Fit(bundle.Bundle.Ratings, new TrainingOptions { Threads = 1 });
            var served = new ServedBundle(bundle.Bundle.WithModel(model, resolved.OptionValues), options.Value.RecommendationCacheSize);
            lock (entry)
            {
                entry.Served = served;
                entry.TrainedFor = bundle.Id;
                entry.TrainingFor = null;
                entry.FitSeconds = clock.Elapsed.TotalSeconds;
            }

            LogTrained(logger, key, bundle.Id, clock.Elapsed.TotalSeconds);
        }
#pragma warning disable CA1031 // A variant that cannot train must not take the service down: the experiment waits and its report says why.
        catch (Exception e)
#pragma warning restore CA1031
        {
            lock (entry)
            {
                entry.FailedFor = bundle.Id;
                entry.TrainingFor = null;
                entry.Error = $"{e.GetType().Name}: {e.Message}";
            }

            LogFailed(logger, e, key, bundle.Id);
        }
    }

    /// <summary>The dataset's tags, for content models (the bundle keeps the catalogue but not the tags); none when the folder is gone.</summary>
    private static IReadOnlyList<Tag> Tags(ServedBundle bundle)
    {
        string folder = bundle.Bundle.Manifest.Dataset.Folder;
        return Directory.Exists(folder) ? MovieLensLoader.Load(folder, new LoadOptions { IncludeMetadata = true }).Tags : [];
    }

    private sealed class Entry
    {
        public ServedBundle? Served { get; set; }

        public string? TrainedFor { get; set; }

        public string? TrainingFor { get; set; }

        public string? FailedFor { get; set; }

        public string? Error { get; set; }

        public double? FitSeconds { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Training experiment variant model {Key} on bundle {BundleId}")]
    private static partial void LogTraining(ILogger logger, string key, string bundleId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Experiment variant model {Key} trained on bundle {BundleId} in {Seconds:0.0} s")]
    private static partial void LogTrained(ILogger logger, string key, string bundleId, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Experiment variant model {Key} failed to train on bundle {BundleId}; its experiment enrols nobody")]
    private static partial void LogFailed(ILogger logger, Exception exception, string key, string bundleId);
}
