using MovieRec.Core.Models.Neighborhood;

namespace MovieRec.Core.Tests.Models;

public sealed class ItemKnnContractTests : RecommenderContractTests<ItemKnnTrainer>
{
    protected override ItemKnnTrainer CreateTrainer(int seed) => new();
}

public sealed class UserKnnContractTests : RecommenderContractTests<UserKnnTrainer>
{
    protected override UserKnnTrainer CreateTrainer(int seed) => new();
}

/// <summary>The large-catalogue path: no dense lookup, each row cut to its 12 best (then made symmetric).</summary>
public sealed class ItemKnnTopListContractTests : RecommenderContractTests<ItemKnnTrainer>
{
    protected override ItemKnnTrainer CreateTrainer(int seed) => new(new KnnOptions { DenseCutover = 0, MaxNeighbors = 12, K = 10 });
}

public sealed class UserKnnTopListContractTests : RecommenderContractTests<UserKnnTrainer>
{
    protected override UserKnnTrainer CreateTrainer(int seed) => new(new KnnOptions { DenseCutover = 0, MaxNeighbors = 12, K = 10 });
}

public sealed class UserKnnBasicContractTests : RecommenderContractTests<UserKnnTrainer>
{
    protected override UserKnnTrainer CreateTrainer(int seed) =>
        new(new KnnOptions { Prediction = KnnPrediction.Basic, Similarity = KnnSimilarity.Msd }, "user-knn-basic");
}

public sealed class ItemKnnZScoreContractTests : RecommenderContractTests<ItemKnnTrainer>
{
    protected override ItemKnnTrainer CreateTrainer(int seed) =>
        new(new KnnOptions { Prediction = KnnPrediction.ZScore, Similarity = KnnSimilarity.Pearson }, "item-knn-zscore");
}
