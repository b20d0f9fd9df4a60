using MovieRec.Core.Experiments;

namespace MovieRec.Core.Tests.Experiments;

public sealed class ExperimentAnalysisTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);

    private static ExperimentDefinition Ab(params string[] variants) => new()
    {
        Name = "home-page",
        Variants = [.. variants.Select(v => new VariantDefinition { Name = v, Model = v == "control" ? "popular" : "svd" })],
    };

    // Users with 10 impressions each; control users click 0, 1 or 2 (CTR 0.1), treatment users 1, 2 or 3 (CTR 0.2).
    private static List<UnitOutcome> Outcomes(int controlUsers, int treatmentUsers)
    {
        var list = new List<UnitOutcome>();
        for (int u = 0; u < controlUsers; u++)
        {
            list.Add(new UnitOutcome($"user:{u}", "control", 10, u % 3, 0));
        }

        for (int u = 0; u < treatmentUsers; u++)
        {
            list.Add(new UnitOutcome($"user:{controlUsers + u}", "treatment", 10, 1 + (u % 3), u % 2));
        }

        return list;
    }

    [Fact]
    public void A_clear_difference_names_the_winner_with_the_statistics()
    {
        ExperimentReport r = ExperimentAnalysis.Analyze(Ab("control", "treatment"), Outcomes(501, 501), Now);

        Assert.Equal("treatment", r.Winner);
        Assert.Equal("treatment wins", r.Decision);
        Assert.Equal(1002, r.Users);
        Assert.Equal([501L, 501L], r.Variants.Select(v => v.Users));
        Assert.Equal(0.1, r.Variants[0].Ctr, 12);
        Assert.Equal(0.2, r.Variants[1].Ctr, 12);
        Assert.True(r.Variants[1].CtrLow < 0.2 && r.Variants[1].CtrHigh > 0.2);
        ComparisonReport c = Assert.Single(r.Comparisons);
        Assert.Equal(1.0, c.Lift!.Value, 12);
        // The two-proportion z-test over 5,010 impressions per arm, as statsmodels proportions_ztest computes it.
        Assert.Equal(Proportions.TwoProportionZTest(501, 5010, 1002, 5010).PValue, c.PValue, 15);
        Assert.True(c.UserLevelPValue < 1e-10);
        Assert.True(c.SequentialPValue < 0.05);
        Assert.False(r.SampleRatio!.Mismatch);
        Assert.Null(r.SampleRatioWarning);
        Assert.Equal(250, r.Variants[1].Conversions);
        Assert.Null(r.UsersNeeded);
    }

    [Fact]
    public void No_significant_difference_gives_no_decision_with_the_users_needed()
    {
        // Half the users of each arm click 1, half 2 (CTR 0.15 both) except one more clicking user in treatment.
        var outcomes = new List<UnitOutcome>();
        for (int u = 0; u < 200; u++)
        {
            outcomes.Add(new UnitOutcome($"c{u}", "control", 10, 1 + (u % 2), 0));
            outcomes.Add(new UnitOutcome($"t{u}", "treatment", 10, 1 + (u % 2) + (u == 0 ? 1 : 0), 0));
        }

        ExperimentReport r = ExperimentAnalysis.Analyze(Ab("control", "treatment"), outcomes, Now);

        Assert.Null(r.Winner);
        Assert.Equal(AbTestSimulator.NoDecision, r.Decision);
        Assert.NotNull(r.UsersNeeded);
        Assert.True(r.UsersNeeded > 400);
    }

    [Fact]
    public void A_sample_ratio_mismatch_warns_and_withholds_the_winner()
    {
        ExperimentReport r = ExperimentAnalysis.Analyze(Ab("control", "treatment"), Outcomes(400, 600), Now);

        Assert.True(r.SampleRatio!.Mismatch);
        Assert.Contains("Sample ratio mismatch", r.SampleRatioWarning, StringComparison.Ordinal);
        Assert.Null(r.Winner);
        Assert.Equal("no decision: sample ratio mismatch", r.Decision);
    }

    [Fact]
    public void Several_treatments_are_each_compared_with_the_control()
    {
        ExperimentDefinition three = Ab("control", "treatment", "other");
        var outcomes = Outcomes(300, 300);
        for (int u = 0; u < 300; u++)
        {
            outcomes.Add(new UnitOutcome($"o{u}", "other", 10, u % 3, 0));
        }

        ExperimentReport r = ExperimentAnalysis.Analyze(three, outcomes, Now);

        Assert.Equal(2, r.Comparisons.Count);
        Assert.Equal("treatment", r.Winner);
        Assert.True(r.Comparisons[1].UserLevelPValue > 0.05);
    }

    [Fact]
    public void Neither_test_stops_the_experiment_before_every_variant_has_its_minimum_sample()
    {
        // 30 users per arm with CTR 0.1 against 0.2: significant at once, but below the default 100 users per variant.
        ExperimentReport early = ExperimentAnalysis.Analyze(Ab("control", "treatment"), Outcomes(30, 30), Now);
        ExperimentReport allowed = ExperimentAnalysis.Analyze(Ab("control", "treatment") with { MinimumUsers = 30 }, Outcomes(30, 30), Now);
        ExperimentReport unbalanced = ExperimentAnalysis.Analyze(Ab("control", "treatment") with { MinimumUsers = 31 }, Outcomes(30, 500), Now);

        Assert.Equal(ExperimentDefinition.DefaultMinimumUsers, early.MinimumUsers);
        Assert.False(early.MinimumReached);
        Assert.True(early.Comparisons[0].UserLevelPValue < 0.001);
        Assert.Equal(1.0, early.Comparisons[0].SequentialPValue);
        Assert.Null(early.Winner);
        Assert.Equal(AbTestSimulator.NoDecision, early.Decision);
        Assert.True(allowed.MinimumReached);
        Assert.Equal("treatment", allowed.Winner);
        Assert.True(allowed.Comparisons[0].SequentialPValue < 1);
        Assert.False(unbalanced.MinimumReached);
        Assert.Null(unbalanced.Winner);
        Assert.Contains(new ExperimentDefinition { Name = "x", Variants = Ab("a", "b").Variants, MinimumUsers = 0 }.Validate(_ => true), e => e.Field == "minimumUsers");
    }

    [Fact]
    public void Interleaving_reports_the_preference_share_and_its_binomial_test()
    {
        var definition = new ExperimentDefinition
        {
            Name = "rankers",
            Type = ExperimentDefinition.InterleaveType,
            Variants = [new() { Name = "knn", Model = "item-knn" }, new() { Name = "als", Model = "implicit-als" }],
        };
        var outcomes = new List<UnitOutcome>();
        for (int u = 0; u < 100; u++)
        {
            // 40 users favour knn, 60 als, 50 more click nothing.
            outcomes.Add(new UnitOutcome($"u{u}", "interleave", 10, 1, 0, u < 40 ? 1 : 0, u < 40 ? 0 : 1));
            outcomes.Add(new UnitOutcome($"z{u}", "interleave", 10, 0, 0));
        }

        ExperimentReport r = ExperimentAnalysis.Analyze(definition, outcomes.Take(150).ToList(), Now);
        ExperimentReport all = ExperimentAnalysis.Analyze(definition, outcomes, Now);

        Assert.Equal(0.6, all.Preference!.ShareB, 12);
        // scipy.stats.binomtest(60, 100).pvalue
        Assert.Equal(0.05688793364098088, all.Preference.PValue, 9);
        Assert.Null(all.Winner);
        Assert.NotNull(all.UsersNeeded);
        Assert.Equal(200, all.Users);
        Assert.Null(all.SampleRatio);
        Assert.True(r.Users < all.Users);
    }

    [Fact]
    public void Definitions_are_validated_field_by_field()
    {
        var bad = new ExperimentDefinition
        {
            Name = "bad name!",
            Type = "abc",
            Variants = [new() { Name = "a", Model = "svd", Weight = 0 }, new() { Name = "a", Model = "nope" }],
            Start = Now,
            End = Now.AddDays(-1),
        };

        var fields = bad.Validate(m => m == "svd").Select(e => e.Field).ToHashSet();

        Assert.Contains("name", fields);
        Assert.Contains("type", fields);
        Assert.Contains("variants[0].weight", fields);
        Assert.Contains("variants[1].name", fields);
        Assert.Contains("variants[1].model", fields);
        Assert.Contains("end", fields);
        Assert.Empty(Ab("control", "treatment").Validate(_ => true));
        // Options are checked against the registry's declarations, each bad one named; a variant with options needs a
        // model MovieRec can train, not one of the bundle.
        var tuned = new ExperimentDefinition
        {
            Name = "tuned",
            Variants =
            [
                new() { Name = "a", Model = "svd" },
                new() { Name = "b", Model = "implicit-als", Options = new Dictionary<string, string> { ["factors"] = "0", ["nope"] = "1", ["iterations"] = "5" } },
                new() { Name = "c", Model = "nope", Options = new Dictionary<string, string> { ["factors"] = "5" } },
            ],
        };
        var tunedFields = tuned.Validate(m => m == "svd").Select(e => e.Field).ToHashSet();
        Assert.Equal(["variants[1].options.factors", "variants[1].options.nope", "variants[2].model"], tunedFields.Order());
        Assert.Empty((tuned with { Variants = tuned.Variants.Take(1).Append(new() { Name = "b", Model = "implicit-als", Options = new Dictionary<string, string> { ["factors"] = "8" } }).ToList() })
            .Validate(m => m == "svd"));
        Assert.Contains(new ExperimentDefinition { Name = "i", Type = "interleave", Variants = Ab("a", "b", "c").Variants }.Validate(_ => true), e => e.Field == "variants");
    }

    [Fact]
    public void The_active_window_is_half_open()
    {
        var windowed = Ab("control", "treatment") with { Start = Now, End = Now.AddHours(1) };

        Assert.False(windowed.IsActive(Now.AddSeconds(-1)));
        Assert.True(windowed.IsActive(Now));
        Assert.False(windowed.IsActive(Now.AddHours(1)));
    }
}
