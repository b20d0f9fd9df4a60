using MovieRec.Core.Models.Baselines;

namespace MovieRec.Core.Tests.Models;

public sealed class GlobalMeanContractTests : RecommenderContractTests<GlobalMeanTrainer>
{
    protected override GlobalMeanTrainer CreateTrainer(int seed) => new();
}

public sealed class BaselineAlsContractTests : RecommenderContractTests<BaselineOnlyTrainer>
{
    protected override BaselineOnlyTrainer CreateTrainer(int seed) => new();
}

public sealed class BaselineSgdContractTests : RecommenderContractTests<BaselineOnlyTrainer>
{
    protected override BaselineOnlyTrainer CreateTrainer(int seed) => new(new BaselineOptions { Method = BaselineMethod.Sgd });
}

public sealed class PopularityContractTests : RecommenderContractTests<PopularityTrainer>
{
    protected override PopularityTrainer CreateTrainer(int seed) => new();
}
