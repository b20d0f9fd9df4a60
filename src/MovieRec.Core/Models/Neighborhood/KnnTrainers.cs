using MovieRec.Core.Data;

namespace MovieRec.Core.Models.Neighborhood;

/// <summary>User-based collaborative filtering: a user's neighbours are the users whose ratings agree with theirs.</summary>
public sealed class UserKnnTrainer(KnnOptions? options = null, string name = UserKnnTrainer.ModelName) : IRecommenderTrainer
{
    public const string ModelName = "user-knn";

    public KnnOptions Options { get; } = (options ?? new KnnOptions()).Validate();

    public string Name { get; } = name;

    public IRecommenderModel Fit(RatingMatrix train, TrainingOptions? options = null) =>
        KnnFit.Fit(train, itemBased: false, Options, Name, options ?? TrainingOptions.Default);
}

/// <summary>Item-based collaborative filtering: a movie's neighbours are the movies rated alike by the same people.</summary>
public sealed class ItemKnnTrainer(KnnOptions? options = null, string name = ItemKnnTrainer.ModelName) : IRecommenderTrainer
{
    public const string ModelName = "item-knn";

    public KnnOptions Options { get; } = (options ?? new KnnOptions()).Validate();

    public string Name { get; } = name;

    public IRecommenderModel Fit(RatingMatrix train, TrainingOptions? options = null) =>
        KnnFit.Fit(train, itemBased: true, Options, Name, options ?? TrainingOptions.Default);
}

internal static class KnnFit
{
    public static KnnModel Fit(RatingMatrix train, bool itemBased, KnnOptions options, string name, TrainingOptions training)
    {
        ArgumentNullException.ThrowIfNull(train);
        BiasBaseline baseline = BiasBaseline.Default(train);
        SimilarityInput input = SimilarityInput.Create(train, itemBased, options.Similarity == KnnSimilarity.PearsonBaseline ? baseline : null);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = training.EffectiveThreads, CancellationToken = training.CancellationToken };
        NeighborLists neighbors = Similarities.TopNeighbors(input, options.Similarity, options.Shrinkage, options.MinSupport,
            options.NeighborsKept(input.Rows), parallel);
        return new KnnModel(name, train, baseline, itemBased, options, neighbors);
    }
}
