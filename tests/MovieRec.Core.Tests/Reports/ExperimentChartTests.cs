using MovieRec.Core.Experiments;
using MovieRec.Reports;

namespace MovieRec.Core.Tests.Reports;

public sealed class ExperimentChartTests
{
    [Fact]
    public void Ctr_chart_has_one_bar_per_variant_and_renders()
    {
        Chart chart = ExperimentCharts.Ctr("A/B: svd vs knn", ["A: svd", "B: knn"], [0.02, 0.08], [0.01, 0.06], [0.03, 0.11]);

        byte[] png = chart.Render(ChartFormat.Png);

        Assert.Equal(["CTR with 95% interval"], chart.SeriesNames);
        Assert.Equal("Click-through rate", chart.YLabel);
        Assert.Equal(0x89, png[0]);
        Assert.Throws<ArgumentException>(() => ExperimentCharts.Ctr("t", ["a", "b"], [0.1], [0.0], [0.2]));
    }

    [Fact]
    public void Simulation_chart_title_carries_the_decision()
    {
        SimulationPopulation population = SimulationPopulation.FromLists("a", "b", 2, [1, 2, 3, 4],
            [[10, 11], [20, 21], [30, 31], [40, 41]], [[12, 13], [22, 23], [32, 33], [42, 43]], [[10], [22], [30], [43]]);
        SimulationResult result = AbTestSimulator.Run(population, new SimulationOptions { Users = 4 });

        Chart chart = ExperimentCharts.Simulation(result);

        Assert.Contains("no decision yet", chart.Title, StringComparison.Ordinal);
        Assert.Contains("A/B: a vs b", chart.Title, StringComparison.Ordinal);
    }
}
