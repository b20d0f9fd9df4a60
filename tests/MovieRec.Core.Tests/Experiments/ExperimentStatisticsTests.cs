using MovieRec.Core.Experiments;

namespace MovieRec.Core.Tests.Experiments;

// Reference values were computed with scipy 1.10 (python3-scipy) and the textbook formulas written out in the
// comments; statsmodels' functions named there implement the same formulas.
public sealed class ExperimentStatisticsTests
{
    [Fact]
    public void Wilson_interval_matches_the_formula()
    {
        // z = norm.ppf(0.975); c = (p + z²/2n)/(1 + z²/n); h = z/(1 + z²/n)·sqrt(p(1-p)/n + z²/4n²)
        RateEstimate r = Proportions.Wilson(45, 500);

        Assert.Equal(0.09, r.Rate, 12);
        Assert.Equal(0.0679425478891394, r.Low, 9);
        Assert.Equal(0.11830941128933344, r.High, 9);
        Assert.Equal((0.0, 1.0), (Proportions.Wilson(0, 0).Low, Proportions.Wilson(0, 0).High));
    }

    [Fact]
    public void Two_proportion_z_test_matches_statsmodels_formulas()
    {
        // pooled p = 270/2000; z = (0.15 - 0.12)/sqrt(p(1-p)(2/1000)) = 1.963049807622355; p = 2·norm.sf(z)
        RateComparison c = Proportions.TwoProportionZTest(120, 1000, 150, 1000);

        Assert.Equal(1.963049807622355, c.Z, 9);
        Assert.Equal(0.04964038686536878, c.PValue, 9);
        // Wald interval of the difference, unpooled standard error.
        Assert.Equal(0.03, c.Difference, 12);
        Assert.Equal(7.602882129778554e-05, c.DifferenceLow, 9);
        Assert.Equal(0.05992397117870221, c.DifferenceHigh, 9);
        // Lift = ratio - 1 with the log-ratio interval: se = sqrt(1/xa - 1/na + 1/xb - 1/nb).
        Assert.Equal(0.25, c.Lift!.Value, 12);
        Assert.Equal(-0.00032667224198601463, c.LiftLow!.Value, 9);
        Assert.Equal(0.5630105921743935, c.LiftHigh!.Value, 9);
    }

    [Fact]
    public void Two_proportion_z_test_handles_empty_and_zero_arms()
    {
        RateComparison empty = Proportions.TwoProportionZTest(0, 0, 0, 0);
        RateComparison zeroA = Proportions.TwoProportionZTest(0, 100, 5, 100);

        Assert.Equal((0.0, 1.0), (empty.Z, empty.PValue));
        Assert.Null(empty.Lift);
        Assert.Null(zeroA.Lift);
        Assert.True(zeroA.PValue < 0.05);
        Assert.Throws<ArgumentException>(() => Proportions.TwoProportionZTest(5, 4, 0, 1));
    }

    [Fact]
    public void Delta_method_variance_matches_hand_computation()
    {
        // numpy: s = [0,1,3,0,2,5,1,0,0,4], t = [10,10,10,5,10,10,8,10,3,10];
        // v = (var(s)/t̄² - 2 s̄ cov(s,t)/t̄³ + s̄² var(t)/t̄⁴)/n with ddof=1 -> 0.003730352639224493
        double[] s = [0, 1, 3, 0, 2, 5, 1, 0, 0, 4];
        double[] t = [10, 10, 10, 5, 10, 10, 8, 10, 3, 10];
        var totals = default(UnitTotals);
        for (int u = 0; u < s.Length; u++)
        {
            totals = totals.Add(s[u], t[u]);
        }

        Assert.Equal(16.0 / 86, totals.Rate, 12);
        Assert.Equal(0.003730352639224493, totals.RateVariance, 12);
    }

    [Fact]
    public void Delta_method_with_one_trial_per_unit_is_the_binomial_variance()
    {
        var totals = default(UnitTotals);
        for (int u = 0; u < 200; u++)
        {
            totals = totals.Add(u % 4 == 0 ? 1 : 0, 1);
        }

        Assert.Equal(0.25 * 0.75 / 199, totals.RateVariance, 12);
    }

    [Fact]
    public void Clustered_comparison_is_welchs_t_test_on_per_unit_rates()
    {
        // Equal trials per unit: the delta-method ratio test is Welch's t-test on clicks per user (scipy
        // ttest_ind(b, a, equal_var=False) -> t 2.1765338119378614, df 18.804589487612617, p 0.042471565970721215;
        // the normal approximation would say 0.0295).
        double[] clicksA = [0, 1, 3, 0, 2, 5, 1, 0, 0, 4];
        double[] clicksB = [2, 0, 6, 3, 5, 1, 4, 7, 3, 2, 6];
        var a = default(UnitTotals);
        var b = default(UnitTotals);
        foreach (double c in clicksA)
        {
            a = a.Add(c, 10);
        }

        foreach (double c in clicksB)
        {
            b = b.Add(c, 10);
        }

        RateComparison welch = ClusteredComparison.Compare(a, b);

        Assert.Equal(2.1765338119378614, welch.Z, 9);
        Assert.Equal(18.804589487612617, ClusteredComparison.WelchDegreesOfFreedom(a.RateVariance, a.Units, b.RateVariance, b.Units), 9);
        Assert.Equal(0.042471565970721215, welch.PValue, 6);
    }

    [Fact]
    public void Cuped_comparison_is_welchs_t_test_on_covariate_adjusted_per_unit_rates()
    {
        // The streaming sums and the delta method against the textbook route on per-unit values: y' = y - θ(x - x̄),
        // θ = (C_A + C_B) / (V_A + V_B), then Welch's t-test on y'. With equal trials per unit both are exact.
        double[] clicksA = [0, 1, 3, 0, 2, 5, 1, 0, 0, 4], xA = [1, 2, 5, 0, 3, 6, 2, 1, 1, 4];
        double[] clicksB = [2, 0, 6, 3, 5, 1, 4, 7, 3, 2, 6], xB = [3, 0, 5, 2, 6, 1, 3, 6, 2, 2, 4];
        UnitTotals a = default, b = default;
        CovariateTotals ca = default, cb = default;
        for (int i = 0; i < clicksA.Length; i++)
        {
            a = a.Add(clicksA[i], 10);
            ca = ca.Add(xA[i], clicksA[i], 10);
        }

        for (int i = 0; i < clicksB.Length; i++)
        {
            b = b.Add(clicksB[i], 10);
            cb = cb.Add(xB[i], clicksB[i], 10);
        }

        double[] yA = [.. clicksA.Select(c => c / 10)], yB = [.. clicksB.Select(c => c / 10)];
        double theta = (Covariance(yA, xA) / yA.Length + (Covariance(yB, xB) / yB.Length))
            / ((Covariance(xA, xA) / xA.Length) + (Covariance(xB, xB) / xB.Length));
        double xMean = xA.Concat(xB).Average();
        double[] adjA = [.. yA.Select((y, i) => y - (theta * (xA[i] - xMean)))], adjB = [.. yB.Select((y, i) => y - (theta * (xB[i] - xMean)))];
        double va = Covariance(adjA, adjA) / adjA.Length, vb = Covariance(adjB, adjB) / adjB.Length;
        double t = (adjB.Average() - adjA.Average()) / Math.Sqrt(va + vb);

        RateComparison plain = ClusteredComparison.Compare(a, b);
        RateComparison cuped = ClusteredComparison.Compare(a, b, (ca, cb));

        Assert.Equal(theta, Cuped.Theta(a, ca, b, cb), 12);
        Assert.Equal(adjB.Average() - adjA.Average(), cuped.Difference, 12);
        Assert.Equal(t, cuped.Z, 9);
        Assert.True(theta > 0);
        Assert.True(cuped.PValue < plain.PValue, $"CUPED p {cuped.PValue} vs plain {plain.PValue}: x predicts the clicks, so the adjusted test is sharper");
        Assert.Equal(plain.A, cuped.A);
        Assert.Equal(plain.B, cuped.B);
    }

    [Fact]
    public void Cuped_with_a_constant_covariate_is_the_plain_test()
    {
        UnitTotals a = default, b = default;
        CovariateTotals ca = default, cb = default;
        for (int u = 0; u < 50; u++)
        {
            a = a.Add(u % 4, 10);
            ca = ca.Add(3, u % 4, 10);
            b = b.Add(u % 5, 10);
            cb = cb.Add(3, u % 5, 10);
        }

        Assert.Equal(ClusteredComparison.Compare(a, b), ClusteredComparison.Compare(a, b, (ca, cb)));
    }

    private static double Covariance(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += (x[i] - mx) * (y[i] - my);
        }

        return sum / (x.Length - 1);
    }

    [Fact]
    public void Clustered_comparison_is_less_confident_than_the_impression_level_test_when_clicks_cluster()
    {
        // Ten impressions per user, and a user either clicks many or none: the same click totals as independent
        // impressions, but far fewer independent observations.
        var a = default(UnitTotals);
        var b = default(UnitTotals);
        for (int u = 0; u < 100; u++)
        {
            a = a.Add(u % 10 == 0 ? 10 : 0, 10);
            b = b.Add(u % 10 < 2 ? 7 : 0, 10);
        }

        RateComparison naive = Proportions.TwoProportionZTest((long)a.Successes, (long)a.Trials, (long)b.Successes, (long)b.Trials);
        RateComparison clustered = ClusteredComparison.Compare(a, b);

        Assert.Equal(naive.Difference, clustered.Difference, 12);
        Assert.True(naive.PValue < 0.05);
        Assert.True(clustered.PValue > 0.2, $"clustered p {clustered.PValue}");
    }

    [Fact]
    public void Sample_ratio_check_matches_scipy_chisquare()
    {
        // scipy.stats.chisquare([5120, 4880], f_exp=[5000, 5000]) -> 5.76, p 0.01639507184919225
        SampleRatioCheck two = ExperimentTests.SampleRatio([5120, 4880], [1, 1]);
        // chisquare([2100, 1950, 5950], f_exp=[2000, 2000, 6000]) -> 6.6667, p 0.035673993347252395
        SampleRatioCheck three = ExperimentTests.SampleRatio([2100, 1950, 5950], [0.2, 0.2, 0.6]);
        SampleRatioCheck broken = ExperimentTests.SampleRatio([5400, 4600], [1, 1]);

        Assert.Equal(5.76, two.ChiSquare, 9);
        Assert.Equal(0.01639507184919225, two.PValue, 9);
        Assert.False(two.Mismatch);
        Assert.Equal(6.666666666666667, three.ChiSquare, 9);
        Assert.Equal(0.035673993347252395, three.PValue, 9);
        Assert.Equal(2, three.DegreesOfFreedom);
        Assert.True(broken.Mismatch);
    }

    [Fact]
    public void Binomial_test_matches_scipy_binomtest()
    {
        // scipy.stats.binomtest(k, n, p).pvalue
        Assert.Equal(0.05688793364098088, ExperimentTests.BinomialTwoSided(60, 100), 9);
        Assert.Equal(0.6294979666766769, ExperimentTests.BinomialTwoSided(7, 20, 0.3), 9);
        Assert.Equal(8.430331945419312e-06, ExperimentTests.BinomialTwoSided(3, 30), 12);
        Assert.Equal(1.0, ExperimentTests.BinomialTwoSided(50, 100), 12);
    }

    [Fact]
    public void Chance_that_an_exact_test_shows_a_rate_above_its_level_matches_the_binomial_tail()
    {
        // 1 - scipy.stats.binom.cdf(floor(alpha n), n, alpha), computed exactly with fractions
        Assert.Equal(0.4169328179188282, ExperimentTests.ChanceAboveLevel(200, 0.05), 9);
        Assert.Equal(0.38400087204385897, ExperimentTests.ChanceAboveLevel(100, 0.05), 9);
        Assert.Equal(0.4624709591985723, ExperimentTests.ChanceAboveLevel(1000, 0.05), 9);
        Assert.Equal(0.32332130546434296, ExperimentTests.ChanceAboveLevel(200, 0.01), 9);
        Assert.Equal(0.4501052656690701, ExperimentTests.ChanceAboveLevel(100, 0.29), 9);
        Assert.Throws<ArgumentOutOfRangeException>(() => ExperimentTests.ChanceAboveLevel(0, 0.05));
        Assert.Throws<ArgumentOutOfRangeException>(() => ExperimentTests.ChanceAboveLevel(200, 1));
    }

    [Fact]
    public void Preference_share_counts_decided_users_only()
    {
        PreferenceShare p = ExperimentTests.Preference(winsA: 40, winsB: 60, ties: 900);

        Assert.Equal(0.6, p.ShareB, 12);
        Assert.Equal(0.05688793364098088, p.PValue, 9);
        Assert.True(p.Low < 0.6 && p.High > 0.6);
    }

    [Fact]
    public void Msprt_matches_the_closed_form()
    {
        // V = 0.12·0.88/1000 + 0.15·0.85/1000; log Λ = ½ log(V/(V+τ²)) + τ²θ²/(2V(V+τ²)) with θ 0.03, τ 0.02
        double v = (0.12 * 0.88 / 1000) + (0.15 * 0.85 / 1000);

        Assert.Equal(0.7201333246269115, MixtureSprt.LogLikelihoodRatio(0.03, v, 0.02), 9);
        Assert.Equal(0.4866873642229769, MixtureSprt.PValue(0.03, v, 0.02), 9);
        Assert.Equal(1.0, MixtureSprt.PValue(0, v, 0.02), 12);
        Assert.Equal(1.0, MixtureSprt.PValue(0.03, double.PositiveInfinity, 0.02), 12);
    }

    [Fact]
    public void Always_valid_p_value_keeps_its_false_positive_rate_under_continuous_monitoring()
    {
        // 400 A/A experiments with Bernoulli(0.1) in both arms, looked at after every 20 users per arm up to 4,000:
        // the fixed-horizon z-test applied at every look rejects far more than 5%; the mSPRT stays under 5%.
        const int runs = 400, perArm = 4000, look = 20;
        int sequentialRejections = 0, peekingRejections = 0;
        for (int run = 0; run < runs; run++)
        {
            var random = new Random(run);
            var monitor = new SequentialPValue(MixtureSprt.DefaultRateMixingStdDev);
            long ca = 0, cb = 0;
            bool peekRejected = false;
            for (int n = 1; n <= perArm; n++)
            {
                ca += random.NextDouble() < 0.1 ? 1 : 0;
                cb += random.NextDouble() < 0.1 ? 1 : 0;
                if (n % look == 0)
                {
                    RateComparison c = Proportions.TwoProportionZTest(ca, n, cb, n);
                    double v = (c.A.Rate * (1 - c.A.Rate) / n) + (c.B.Rate * (1 - c.B.Rate) / n);
                    monitor.Observe(c.Difference, v, n, 2 * n);
                    peekRejected |= c.PValue < 0.05;
                }
            }

            sequentialRejections += monitor.Value < 0.05 ? 1 : 0;
            peekingRejections += peekRejected ? 1 : 0;
        }

        Assert.True(sequentialRejections <= 0.05 * runs, $"mSPRT rejected {sequentialRejections} of {runs}");
        Assert.True(peekingRejections > 0.15 * runs, $"peeking rejected only {peekingRejections} of {runs}");
    }

    [Fact]
    public void Sequential_p_value_never_increases_and_records_when_it_rejected()
    {
        var monitor = new SequentialPValue(0.02, minimumUnits: 10);

        Assert.Equal(1.0, monitor.Observe(0.5, 0.001, unitsPerSideMin: 5, unitsTotal: 10));
        double first = monitor.Observe(0.1, 0.0004, 100, 200);
        double second = monitor.Observe(0.0, 0.0004, 120, 240);

        Assert.True(first < 0.05);
        Assert.Equal(first, second);
        Assert.Equal(200, monitor.RejectedAtUnits);
    }

    [Fact]
    public void Sample_size_matches_the_normal_formula()
    {
        // n = (norm.ppf(0.975) + norm.ppf(0.8))² (0.1·0.9 + 0.12·0.88) / 0.02² = 3838.1021900967044
        Assert.Equal(3838.1021900967044, SampleSize.PerArmForRates(0.10, 0.12), 6);
        // n = ((z_{.975}·0.5 + z_{.8}·sqrt(0.24)) / 0.1)² = 193.84728588314755
        Assert.Equal(193.84728588314755, SampleSize.DecidedUnitsForShare(0.6), 6);
        Assert.Equal(double.PositiveInfinity, SampleSize.PerArmForRates(0.1, 0.1));
    }

    [Fact]
    public void Thompson_sampling_favours_the_better_arm_and_repeats_for_a_seed()
    {
        ArmCounts[] clear = [new(100, 900), new(150, 850)];
        ArmCounts[] even = [new(100, 900), new(100, 900)];

        double[] a = ThompsonSampling.Allocation(clear, 10_000, new Random(7));
        double[] b = ThompsonSampling.Allocation(clear, 10_000, new Random(7));
        double[] e = ThompsonSampling.Allocation(even, 10_000, new Random(7));

        Assert.Equal(a, b);
        Assert.True(a[1] > 0.99, $"better arm got {a[1]}");
        Assert.InRange(e[0], 0.47, 0.53);
        Assert.Equal(1.0, a[0] + a[1], 9);
    }
}
