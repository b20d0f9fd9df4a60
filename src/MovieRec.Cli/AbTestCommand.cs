using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using MovieRec.Core.Evaluation;
using MovieRec.Core.Experiments;
using MovieRec.Core.Models;
using MovieRec.Reports;
using Spectre.Console;

namespace MovieRec.Cli;

/// <summary><c>movierec abtest simulate</c>: an offline A/B or interleaving experiment between two models.</summary>
internal static class AbTestCommand
{
    /// <summary>Share of each user's latest ratings held out as the "future" the simulated clicks come from.</summary>
    public const double HoldoutFraction = 0.2;

    public static Command Create(IAnsiConsole console)
    {
        Argument<string?> folder = CliApp.FolderArgument();
        var modelA = new Option<string>("--a") { Description = "Model of variant A (the control)", Required = true };
        var modelB = new Option<string>("--b") { Description = "Model of variant B (the treatment)", Required = true };
        var users = new Option<int>("--users") { Description = "Simulated users (beyond the held-out population, users come again in a new order as new units)", DefaultValueFactory = _ => 600 };
        var k = new Option<int>("--k") { Description = "Length of the list each simulated user sees", DefaultValueFactory = _ => 10 };
        var seed = new Option<int>("--seed") { Description = "Seed of the user draw, assignment salt and interleaving (and of the models)", DefaultValueFactory = _ => 42 };
        var mode = new Option<string>("--mode") { Description = "ab (split users between the variants) or interleave (team-draft interleaving)", DefaultValueFactory = _ => "ab" };
        var json = new Option<string?>("--json") { Description = "Write the results to this JSON file" };
        var plot = new Option<string?>("--plot") { Description = "Write a bar chart of CTR A and CTR B with their 95% intervals as error bars to this PNG (or .svg) file" };
        var noCuped = new Option<bool>("--no-cuped") { Description = "A/B: test the raw CTR difference, without the CUPED adjustment for what each user liked before the experiment" };
        var repeat = new Option<int>("--repeat") { Description = "Run N seeds (seed, seed+1, ...) in both modes and report rejection rates and users needed", DefaultValueFactory = _ => 0 };

        var simulate = new Command("simulate", "Simulate an A/B or interleaving test of two models on held-out ratings: CTRs, lift, p-values, winner.")
        {
            folder, modelA, modelB, users, k, seed, mode, json, plot, repeat, noCuped,
        };
        simulate.SetAction(parse => CliApp.Guard(console, () =>
        {
            string path = CliApp.ResolveFolder(parse.GetValue(folder));
            int kValue = parse.GetValue(k), seedValue = parse.GetValue(seed), repeatValue = parse.GetValue(repeat);
            if (kValue < 1)
            {
                throw new ArgumentException($"--k must be at least 1 (got {kValue}).");
            }

            if (repeatValue < 0)
            {
                throw new ArgumentException($"--repeat must be 0 or more (got {repeatValue}).");
            }

            SimulationMode modeValue = parse.GetValue(mode)!.Trim().ToLowerInvariant() switch
            {
                "ab" => SimulationMode.Ab,
                "interleave" => SimulationMode.Interleave,
                string other => throw new ArgumentException($"Unknown --mode '{other}'. Use ab or interleave."),
            };
            var options = new SimulationOptions { Users = parse.GetValue(users), Seed = seedValue, Mode = modeValue, Cuped = !parse.GetValue(noCuped) };
            if (options.Users < 2)
            {
                throw new ArgumentException($"--users must be at least 2 (got {options.Users}).");
            }

            ModelInfo infoA = ModelRegistry.Info(parse.GetValue(modelA)!);
            ModelInfo infoB = ModelRegistry.Info(parse.GetValue(modelB)!);
            SimulationPopulation population = BuildPopulation(console, path, infoA, infoB, kValue, seedValue);

            object report;
            if (repeatValue > 0)
            {
                var stopwatch = Stopwatch.StartNew();
                ModeSummary ab = AbTestSimulator.Repeat(population, options with { Mode = SimulationMode.Ab }, repeatValue);
                ModeSummary interleave = AbTestSimulator.Repeat(population, options with { Mode = SimulationMode.Interleave }, repeatValue);
                PrintSummary(console, population, options, [ab, interleave]);
                console.MarkupLineInterpolated($"{repeatValue} seeds x 2 modes in {stopwatch.Elapsed.TotalSeconds:F1} s");
                report = new { dataset = path, modelA = population.ModelA, modelB = population.ModelB, population = population.UserIds.Count, options.Users, population.K, firstSeed = seedValue, runs = repeatValue, ab, interleave };
            }
            else
            {
                SimulationResult result = AbTestSimulator.Run(population, options);
                PrintResult(console, result, population.UserIds.Count);
                report = new { dataset = path, population = population.UserIds.Count, result };
                if (parse.GetValue(plot) is string plotPath)
                {
                    ExperimentCharts.Simulation(result).Save(plotPath);
                    console.MarkupLineInterpolated($"Wrote {plotPath}");
                }
            }

            if (parse.GetValue(json) is string jsonPath)
            {
                AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(report, CliJson.Indented));
                console.MarkupLineInterpolated($"Wrote {jsonPath}");
            }

            return 0;
        }));

        return new Command("abtest", "Offline A/B testing and interleaving experiments.") { simulate };
    }

    private static SimulationPopulation BuildPopulation(IAnsiConsole console, string path, ModelInfo infoA, ModelInfo infoB, int k, int seed)
    {
        bool needsCatalogue = infoA.NeedsCatalogue || infoB.NeedsCatalogue;
        MovieLensDataset dataset = MovieLensLoader.Load(path, new LoadOptions { IncludeMetadata = needsCatalogue });
        DataSplit split = Splitters.TemporalPerUser(dataset.Ratings, HoldoutFraction);
        RatingMatrix train = RatingMatrix.Build(split.Train);
        var context = new ModelContext(seed, needsCatalogue ? dataset.Movies : null, needsCatalogue ? dataset.Tags : null);
        var stopwatch = Stopwatch.StartNew();
        IRecommenderModel a = ModelRegistry.Resolve(infoA.Name, context).CreateTrainer(context).Fit(train);
        // An A/A test serves one trained model on both sides: the only randomness left is who sees which.
        IRecommenderModel b = string.Equals(infoA.Name, infoB.Name, StringComparison.Ordinal) ? a : ModelRegistry.Resolve(infoB.Name, context).CreateTrainer(context).Fit(train);
        var population = SimulationPopulation.Build(a, b, split.Test, k);
        console.MarkupLineInterpolated(
            $"temporal holdout: latest {HoldoutFraction * 100:F0}% of each user's ratings ({split.Train.Length:N0} train, {split.Test.Length:N0} held out); {population.UserIds.Count} users; models fitted in {stopwatch.Elapsed.TotalSeconds:F1} s");
        return population;
    }

    private static void PrintResult(IAnsiConsole console, SimulationResult r, int population)
    {
        var table = new Table().Title($"{r.Mode}: {r.ModelA} (A) vs {r.ModelB} (B), {r.Users} users of {population}, top-{r.K}, seed {r.Seed}")
            .AddColumns("", "A", "B");
        table.AddRow("model", Markup.Escape(r.ModelA), Markup.Escape(r.ModelB));
        table.AddRow(r.Mode == "ab" ? "users" : "users (all see both)", N(r.UsersA), N(r.UsersB));
        table.AddRow("impressions", N(r.ImpressionsA), N(r.ImpressionsB));
        table.AddRow("clicks", N(r.ClicksA), N(r.ClicksB));
        table.AddRow("CTR (95% CI)", Markup.Escape($"{r.CtrA:F4} [{r.CtrALow:F4}, {r.CtrAHigh:F4}]"), Markup.Escape($"{r.CtrB:F4} [{r.CtrBLow:F4}, {r.CtrBHigh:F4}]"));
        console.Write(table);

        string lift = r.Lift is double l ? $"{l * 100:F2}%" + (r.LiftLow is double lo && r.LiftHigh is double hi ? $" [{lo * 100:F2}%, {hi * 100:F2}%]" : "") : "n/a (CTR A is 0)";
        console.MarkupLineInterpolated($"CTR A {r.CtrA:F4}, CTR B {r.CtrB:F4}, lift {lift}");
        if (r.Preference is PreferenceShare p)
        {
            console.MarkupLineInterpolated($"preference for B {p.ShareB:F4} [[{p.Low:F4}, {p.High:F4}]] (wins A {p.WinsA}, B {p.WinsB}, ties {p.Ties})");
            console.MarkupLineInterpolated($"p-value {P(r.PValue)} (exact binomial test of the preference share)");
        }
        else
        {
            string cuped = r.VarianceReduction is double vr ? $", CUPED-adjusted for the movies each user liked before (variance {-vr * 100:F1}%)" : "";
            console.MarkupLineInterpolated($"p-value {P(r.PValue)} (Welch t-test, the user as the unit{cuped}; impression-level two-proportion z-test {P(r.ImpressionLevelPValue)})");
        }

        string from = r.SequentialDecisionAtUsers is long at ? $", significant from user {at}" : "";
        console.MarkupLineInterpolated($"always-valid p-value (mSPRT, checked after every user) {P(r.SequentialPValue)}{from}");
        if (r.SampleRatio is SampleRatioCheck srm)
        {
            console.MarkupLineInterpolated($"sample ratio: chi-square {srm.ChiSquare:F2}, p {P(srm.PValue)}{(srm.Mismatch ? " - MISMATCH" : "")}");
        }

        string needed = r.UsersNeeded is double u ? $"{u:N0}" : "unbounded (no observed difference)";
        if (r.Winner is string w)
        {
            console.MarkupLineInterpolated($"winner: [green]{w}[/] ({(w == r.ModelB ? "B" : "A")})");
            console.MarkupLineInterpolated($"users needed for 80% power at the observed effect: {needed}");
        }
        else
        {
            console.MarkupLineInterpolated($"winner: {AbTestSimulator.NoDecision} (users needed for 80% power at the observed effect: {needed})");
        }
    }

    private static void PrintSummary(IAnsiConsole console, SimulationPopulation population, SimulationOptions options, ModeSummary[] summaries)
    {
        bool aa = population.ModelA == population.ModelB;
        string rate = aa ? "false-positive rate" : "detection rate";
        var table = new Table()
            .Title($"{(aa ? "A/A" : "A/B")}: {population.ModelA} vs {population.ModelB}, {summaries[0].Runs} seeds from {options.Seed}, {options.Users} users, top-{population.K}, alpha {options.Alpha}")
            .AddColumns("mode", $"fixed-horizon {rate}", $"sequential (mSPRT) {rate}", $"impression-level z-test {rate}", "median users needed (80% power)", "users needed at the mean effect", "median users to mSPRT decision", "mean CTR A", "mean CTR B", "mean share B");
        foreach (ModeSummary s in summaries)
        {
            table.AddRow(s.Mode, Rate(s.FixedRejectionRate, s.Runs), Rate(s.SequentialRejectionRate, s.Runs), s.Mode == "ab" ? Rate(s.ImpressionLevelRejectionRate, s.Runs) : "-",
                s.MedianUsersNeeded is double n ? $"{n:N0}" : "unbounded",
                s.UsersNeededAtMeanEffect is double m ? $"{m:N0}" : "unbounded",
                s.MedianUsersToSequentialDecision is double d && double.IsFinite(d) ? $"{d:N0}" : $"> {options.Users:N0}",
                $"{s.MeanCtrA:F4}", $"{s.MeanCtrB:F4}", s.MeanPreferenceShareB is double sh ? $"{sh:F4}" : "-");
        }

        console.Write(table);
        console.MarkupLine("Rates are over the seeds run, with a 95% Wilson interval.");
        if (aa)
        {
            int runs = summaries[0].Runs;
            double chance = ExperimentTests.ChanceAboveLevel(runs, options.Alpha);
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"A test that holds its level exactly still shows a false-positive rate above {options.Alpha} over {runs} seeds with probability {chance:F2} (binomial)."));
        }
    }

    /// <summary>A rejection rate over <paramref name="runs"/> seeds with its 95% Wilson interval: the rate is itself an estimate.</summary>
    private static string Rate(double rate, int runs)
    {
        RateEstimate interval = Proportions.Wilson(Math.Round(rate * runs), runs);
        return Markup.Escape($"{rate:F3} [{interval.Low:F3}, {interval.High:F3}]");
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string P(double p) => p < 1e-4 ? p.ToString("0.00E+0", CultureInfo.InvariantCulture) : p.ToString("F4", CultureInfo.InvariantCulture);
}
