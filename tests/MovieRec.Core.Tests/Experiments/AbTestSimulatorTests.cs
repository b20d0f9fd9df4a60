using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Experiments;
using MovieRec.Core.Models;

namespace MovieRec.Core.Tests.Experiments;

public sealed class AbTestSimulatorTests
{
    // 400 users; user u clicks movies 1..5 of their own "taste" (ids u*100 + 1..5). A's list holds
    // one of them for a user in three, B's two of them for every user.
    private static SimulationPopulation Population(bool sameLists)
    {
        var users = new List<int>();
        var listsA = new List<int[]>();
        var listsB = new List<int[]>();
        var positives = new List<HashSet<int>>();
        for (int u = 1; u <= 400; u++)
        {
            int b = u * 100;
            users.Add(u);
            positives.Add([b + 1, b + 2, b + 3, b + 4, b + 5]);
            int[] a = u % 3 == 0 ? [b + 1, b + 50, b + 51, b + 52] : [b + 50, b + 51, b + 52, b + 53];
            listsA.Add(a);
            listsB.Add(sameLists ? a : [b + 1, b + 60, b + 2, b + 61]);
        }

        return SimulationPopulation.FromLists("a", sameLists ? "a" : "b", 4, users, listsA, listsB, positives);
    }

    [Fact]
    public void Ab_counts_add_up_and_name_the_better_variant()
    {
        SimulationResult r = AbTestSimulator.Run(Population(false), new SimulationOptions { Users = 400, Seed = 5 });

        Assert.Equal(400, r.UsersA + r.UsersB);
        Assert.Equal(4 * r.UsersA, r.ImpressionsA);
        Assert.Equal(2 * r.UsersB, r.ClicksB);
        Assert.Equal(r.ClicksA / (double)r.ImpressionsA, r.CtrA, 12);
        Assert.Equal("b", r.Winner);
        Assert.True(r.PValue < 1e-6);
        Assert.True(r.SequentialPValue < 0.05);
        Assert.NotNull(r.SequentialDecisionAtUsers);
        Assert.False(r.SampleRatio!.Mismatch);
    }

    [Fact]
    public void Cuped_removes_the_click_noise_that_earlier_taste_predicts_and_keeps_the_counts()
    {
        // Users with more earlier favourites (the covariate) click more, whichever list they see.
        var users = new List<int>();
        var lists = new List<int[]>();
        var positives = new List<HashSet<int>>();
        var covariate = new List<double>();
        for (int u = 1; u <= 400; u++)
        {
            int b = u * 100, liked = u % 4;
            users.Add(u);
            lists.Add([b + 1, b + 2, b + 3, b + 50]);
            positives.Add([.. Enumerable.Range(b + 1, liked)]);
            covariate.Add(Math.Sqrt(liked * 10));
        }

        SimulationPopulation population = SimulationPopulation.FromLists("a", "a", 4, users, lists, lists, positives, covariate);
        var options = new SimulationOptions { Users = 400, Seed = 3 };
        SimulationResult plain = AbTestSimulator.Run(population, options with { Cuped = false });
        SimulationResult cuped = AbTestSimulator.Run(population, options);

        Assert.Null(plain.VarianceReduction);
        Assert.True(cuped.VarianceReduction > 0.5, $"variance reduction {cuped.VarianceReduction}");
        Assert.True(cuped.UnitVarianceA < plain.UnitVarianceA && cuped.UnitVarianceB < plain.UnitVarianceB);
        Assert.Equal((plain.ClicksA, plain.ClicksB, plain.CtrA, plain.CtrB), (cuped.ClicksA, cuped.ClicksB, cuped.CtrA, cuped.CtrB));
        Assert.Null(cuped.Winner);
    }

    [Fact]
    public void Interleaving_prefers_the_better_ranker()
    {
        SimulationResult r = AbTestSimulator.Run(Population(false), new SimulationOptions { Users = 400, Seed = 5, Mode = SimulationMode.Interleave });

        Assert.Equal("interleave", r.Mode);
        Assert.True(r.Preference!.ShareB > 0.8, $"share {r.Preference.ShareB}");
        Assert.Equal("b", r.Winner);
        Assert.Equal(400, r.Preference.WinsA + r.Preference.WinsB + r.Preference.Ties);
    }

    [Fact]
    public void The_same_seed_gives_the_same_experiment_and_another_seed_another_split()
    {
        SimulationPopulation population = Population(false);
        var options = new SimulationOptions { Users = 300, Seed = 9 };

        Assert.Equal(AbTestSimulator.Run(population, options), AbTestSimulator.Run(population, options));
        Assert.NotEqual(AbTestSimulator.Run(population, options).UsersA, AbTestSimulator.Run(population, options with { Seed = 10 }).UsersA);
    }

    [Fact]
    public void An_aa_test_has_no_decision_and_a_false_positive_rate_near_alpha()
    {
        SimulationPopulation population = Population(true);
        SimulationResult one = AbTestSimulator.Run(population, new SimulationOptions { Users = 400, Seed = 1 });
        ModeSummary ab = AbTestSimulator.Repeat(population, new SimulationOptions { Users = 400, Seed = 1 }, 200);
        ModeSummary interleave = AbTestSimulator.Repeat(population, new SimulationOptions { Users = 400, Seed = 1, Mode = SimulationMode.Interleave }, 200);

        Assert.Equal(AbTestSimulator.NoDecision, one.Decision);
        Assert.Null(one.Winner);
        Assert.InRange(ab.FixedRejectionRate, 0.0, 0.09);
        Assert.InRange(ab.SequentialRejectionRate, 0.0, 0.05);
        Assert.InRange(interleave.FixedRejectionRate, 0.0, 0.09);
        Assert.InRange(interleave.SequentialRejectionRate, 0.0, 0.05);
    }

    [Fact]
    public void Users_beyond_the_population_come_again_as_new_units()
    {
        SimulationResult r = AbTestSimulator.Run(Population(false), new SimulationOptions { Users = 1000, Seed = 3 });

        Assert.Equal(1000, r.UsersA + r.UsersB);
    }

    [Fact]
    public void Population_from_models_holds_known_users_and_their_held_out_favourites()
    {
        Rating[] ratings = Fixtures.SyntheticRatings(40, 60);
        DataSplit split = Splitters.TemporalPerUser(ratings, 0.2);
        IRecommenderModel popular = ModelRegistry.Create("popular").Fit(RatingMatrix.Build(split.Train));

        var population = SimulationPopulation.Build(popular, popular, split.Test, k: 5);

        Assert.Equal(40, population.UserIds.Count);
        SimulationResult r = AbTestSimulator.Run(population, new SimulationOptions { Users = 40 });
        Assert.Equal(5 * 40, r.ImpressionsA + r.ImpressionsB);
        long expectedClicks = 0;
        foreach (int user in population.UserIds)
        {
            var liked = split.Test.Where(t => t.UserId == user && t.Value >= 4).Select(t => t.MovieId).ToHashSet();
            expectedClicks += popular.Recommend(user, 5).Count(m => liked.Contains(m.MovieId));
        }

        Assert.Equal(expectedClicks, r.ClicksA + r.ClicksB);
    }
}
