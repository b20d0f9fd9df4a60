namespace MovieRec.Core.Experiments;

/// <summary>
/// What one unit (a user, or a visitor's session) did in an experiment, summed over the lists it was shown: its
/// variant (for interleaving, the experiment's name), impressions, clicks and conversions (ratings of at least 4 of
/// a shown movie), and for interleaving the clicks on each team's movies.
/// </summary>
public sealed record UnitOutcome(string Unit, string Variant, long Impressions, long Clicks, long Conversions, long ClicksA = 0, long ClicksB = 0);

/// <summary>A variant with options: its model trained with them is <c>ready</c> (trained on bundle <see cref="BundleId"/>), <c>training</c> or <c>failed</c>.</summary>
public sealed record VariantModelStatus(string Variant, string Model, IReadOnlyDictionary<string, string> Options, string State, string? BundleId, double? FitSeconds, string? Error);

/// <summary>One variant's counts and rates.</summary>
public sealed record VariantReport(
    string Name,
    string Model,
    double Weight,
    long Users,
    long Impressions,
    long Clicks,
    long Conversions,
    double Ctr,
    double CtrLow,
    double CtrHigh,
    double ConversionRate);

/// <summary>A treatment against the control (the first variant).</summary>
public sealed record ComparisonReport(
    string Control,
    string Treatment,
    double Difference,
    double DifferenceLow,
    double DifferenceHigh,
    double? Lift,
    double? LiftLow,
    double? LiftHigh,
    double PValue,
    double UserLevelPValue,
    double SequentialPValue,
    double? UsersNeeded);

/// <summary>The statistics of an experiment as <c>GET /experiments/{name}</c> shows them.</summary>
public sealed record ExperimentReport(
    string Name,
    string Type,
    string Allocation,
    bool Active,
    long Users,
    double Alpha,
    IReadOnlyList<VariantReport> Variants,
    IReadOnlyList<ComparisonReport> Comparisons,
    SampleRatioCheck? SampleRatio,
    string? SampleRatioWarning,
    PreferenceShare? Preference,
    string? Winner,
    string Decision,
    double? UsersNeeded,
    IReadOnlyList<double>? ThompsonAllocation)
{
    /// <summary>Users each variant (interleaving: the experiment) needs before a winner may be named (the definition's minimumUsers).</summary>
    public int MinimumUsers { get; init; } = ExperimentDefinition.DefaultMinimumUsers;

    /// <summary>Whether every variant has <see cref="MinimumUsers"/>; until then the mSPRT p-value is 1 and no winner is named.</summary>
    public bool MinimumReached { get; init; }

    /// <summary>Where the own models of variants with options stand (null when no variant sets options).</summary>
    public IReadOnlyList<VariantModelStatus>? VariantModels { get; init; }
}

/// <summary>Turns per-unit outcomes into the report: the statistics of <see cref="Proportions"/>, <see cref="ClusteredComparison"/>, <see cref="MixtureSprt"/> and <see cref="ExperimentTests"/>.</summary>
public static class ExperimentAnalysis
{
    /// <summary>
    /// The report of <paramref name="definition"/> over <paramref name="outcomes"/>. A/B: each variant against the
    /// first, deciding on the user-level z-test (a unit's impressions are not independent), Bonferroni-corrected
    /// when there are several treatments; a winner is named only when significant and the split passes the
    /// sample-ratio check. Interleave: the preference share with its exact binomial test.
    /// The mSPRT p-value is 1/Λ at the current totals: valid whenever it is read, however often (by Ville's inequality
    /// the chance that 1/Λ ever falls below alpha under the null is at most alpha). Neither test may stop the
    /// experiment before every variant has the definition's <see cref="ExperimentDefinition.MinimumUsers"/>.
    /// </summary>
    public static ExperimentReport Analyze(ExperimentDefinition definition, IReadOnlyList<UnitOutcome> outcomes, DateTimeOffset now,
        double alpha = 0.05, double power = 0.8, IReadOnlyList<double>? thompsonAllocation = null)
    {
        return definition.IsInterleave
            ? Interleave(definition, outcomes, now, alpha, power)
            : Ab(definition, outcomes, now, alpha, power, thompsonAllocation);
    }

    private static ExperimentReport Ab(ExperimentDefinition definition, IReadOnlyList<UnitOutcome> outcomes, DateTimeOffset now, double alpha, double power,
        IReadOnlyList<double>? thompsonAllocation)
    {
        int k = definition.Variants.Count;
        var totals = new UnitTotals[k];
        long[] impressions = new long[k], clicks = new long[k], conversions = new long[k];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int v = 0; v < k; v++)
        {
            index[definition.Variants[v].Name] = v;
        }

        foreach (UnitOutcome o in outcomes)
        {
            if (!index.TryGetValue(o.Variant, out int v))
            {
                continue; // a variant removed by an edit: its units no longer count
            }

            // Clicks beyond impressions (a click without its impression event) are capped: CTR stays a rate.
            long shown = Math.Max(o.Impressions, 0), clicked = Math.Clamp(o.Clicks, 0, Math.Max(o.Impressions, 0));
            totals[v] = totals[v].Add(clicked, shown);
            impressions[v] += shown;
            clicks[v] += clicked;
            conversions[v] += Math.Max(o.Conversions, 0);
        }

        var variants = new VariantReport[k];
        for (int v = 0; v < k; v++)
        {
            RateEstimate ctr = Proportions.Wilson(clicks[v], impressions[v], 1 - alpha);
            VariantDefinition d = definition.Variants[v];
            variants[v] = new VariantReport(d.Name, d.Model, d.Weight, totals[v].Units, impressions[v], clicks[v], conversions[v], ctr.Rate, ctr.Low, ctr.High,
                impressions[v] > 0 ? (double)conversions[v] / impressions[v] : 0);
        }

        long fewest = k > 0 ? totals.Min(t => t.Units) : 0;
        bool minimumReached = fewest >= definition.MinimumUsers;
        var comparisons = new List<ComparisonReport>(k - 1);
        double corrected = alpha / Math.Max(1, k - 1);
        string? winner = null;
        double bestP = double.PositiveInfinity;
        bool allWorse = k > 1;
        double? maxNeeded = null;
        for (int v = 1; v < k; v++)
        {
            RateComparison z = Proportions.TwoProportionZTest(clicks[0], impressions[0], clicks[v], impressions[v], 1 - alpha);
            RateComparison user = ClusteredComparison.Compare(totals[0], totals[v], 1 - alpha);
            // The sequential test may stop the experiment only once every arm has its minimum sample.
            double sequential = minimumReached
                ? MixtureSprt.PValue(user.Difference, totals[0].RateVariance + totals[v].RateVariance, MixtureSprt.DefaultRateMixingStdDev)
                : 1;
            double perArm = SampleSize.PerArm(totals[0], totals[v], corrected, power);
            double? needed = double.IsFinite(perArm) ? Math.Ceiling(perArm) * 2 : null;
            comparisons.Add(new ComparisonReport(definition.Variants[0].Name, definition.Variants[v].Name, user.Difference, user.DifferenceLow, user.DifferenceHigh,
                user.Lift, user.LiftLow, user.LiftHigh, z.PValue, user.PValue, sequential, needed));
            bool significant = minimumReached && user.PValue < corrected;
            if (significant && user.Difference > 0 && user.PValue < bestP)
            {
                bestP = user.PValue;
                winner = definition.Variants[v].Name;
            }

            allWorse &= significant && user.Difference < 0;
            if (needed is double n && !significant)
            {
                maxNeeded = Math.Max(maxNeeded ?? 0, n);
            }
        }

        if (winner is null && allWorse)
        {
            winner = definition.Variants[0].Name;
        }

        long users = 0;
        foreach (UnitTotals t in totals)
        {
            users += t.Units;
        }

        // Thompson sampling moves traffic on purpose: the configured weights no longer describe the split.
        SampleRatioCheck? srm = definition.IsThompson ? null : ExperimentTests.SampleRatio([.. totals.Select(t => t.Units)], definition.Weights);
        string? warning = srm is { Mismatch: true }
            ? $"Sample ratio mismatch: users per variant ({string.Join(", ", totals.Select(t => t.Units))}) are off the configured weights (chi-square p {srm.PValue:G3} < {ExperimentTests.SampleRatioThreshold}); assignment or logging is broken, so no winner is named."
            : null;
        if (warning is not null)
        {
            winner = null;
        }

        string decision = winner is not null ? $"{winner} wins"
            : warning is not null ? "no decision: sample ratio mismatch"
            : AbTestSimulator.NoDecision;
        return new ExperimentReport(definition.Name, definition.Type, definition.Allocation, definition.IsActive(now), users, alpha, variants, comparisons, srm, warning,
            null, winner, decision, winner is null ? maxNeeded : null, thompsonAllocation)
        {
            MinimumUsers = definition.MinimumUsers,
            MinimumReached = minimumReached,
        };
    }

    private static ExperimentReport Interleave(ExperimentDefinition definition, IReadOnlyList<UnitOutcome> outcomes, DateTimeOffset now, double alpha, double power)
    {
        long winsA = 0, winsB = 0, ties = 0, impressions = 0, conversions = 0, clicksA = 0, clicksB = 0, users = 0;
        foreach (UnitOutcome o in outcomes)
        {
            users++;
            impressions += Math.Max(o.Impressions, 0);
            conversions += Math.Max(o.Conversions, 0);
            clicksA += Math.Max(o.ClicksA, 0);
            clicksB += Math.Max(o.ClicksB, 0);
            if (o.ClicksA > o.ClicksB)
            {
                winsA++;
            }
            else if (o.ClicksB > o.ClicksA)
            {
                winsB++;
            }
            else
            {
                ties++;
            }
        }

        PreferenceShare preference = ExperimentTests.Preference(winsA, winsB, ties, 1 - alpha);
        VariantDefinition a = definition.Variants[0], b = definition.Variants[1];
        // Each team fills about half of every list, so each team's CTR is its clicks over half the impressions.
        double half = impressions / 2.0;
        RateEstimate ctrA = Proportions.Wilson(Math.Min(clicksA, half), half, 1 - alpha);
        RateEstimate ctrB = Proportions.Wilson(Math.Min(clicksB, half), half, 1 - alpha);
        VariantReport[] variants =
        [
            new(a.Name, a.Model, a.Weight, users, (long)half, clicksA, conversions, ctrA.Rate, ctrA.Low, ctrA.High, impressions > 0 ? conversions / (double)impressions : 0),
            new(b.Name, b.Model, b.Weight, users, (long)half, clicksB, conversions, ctrB.Rate, ctrB.Low, ctrB.High, impressions > 0 ? conversions / (double)impressions : 0),
        ];
        long decided = winsA + winsB;
        bool minimumReached = users >= definition.MinimumUsers;
        double sequential = minimumReached && decided > 0 ? MixtureSprt.PValue(preference.ShareB - 0.5, 0.25 / decided, MixtureSprt.DefaultShareMixingStdDev) : 1;
        string? winner = minimumReached && preference.PValue < alpha ? (preference.ShareB > 0.5 ? b.Name : a.Name) : null;
        double needDecided = SampleSize.DecidedUnitsForShare(preference.ShareB, alpha, power);
        double? needed = winner is null && decided > 0 && double.IsFinite(needDecided) ? Math.Ceiling(needDecided * users / decided) : null;
        var comparison = new ComparisonReport(a.Name, b.Name, preference.ShareB - 0.5, preference.Low - 0.5, preference.High - 0.5, null, null, null,
            preference.PValue, preference.PValue, sequential, needed);
        return new ExperimentReport(definition.Name, definition.Type, definition.Allocation, definition.IsActive(now), users, alpha, variants, [comparison], null, null,
            preference, winner, winner is null ? AbTestSimulator.NoDecision : $"{winner} wins", needed, null)
        {
            MinimumUsers = definition.MinimumUsers,
            MinimumReached = minimumReached,
        };
    }
}
