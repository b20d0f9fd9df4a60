namespace MovieRec.Core.Experiments;

/// <summary>Which ranker an interleaving outcome favours.</summary>
public enum InterleavingWinner
{
    Tie,
    A,
    B,
}

/// <summary>An interleaved list: the items in order, and for each position the team (0 = A, 1 = B) that contributed it.</summary>
public sealed record InterleavedList(IReadOnlyList<int> Items, IReadOnlyList<int> Teams)
{
    /// <summary>The variant name of the team at a position, given the two variants' names.</summary>
    public string TeamName(int position, string nameA, string nameB) => Teams[position] == 0 ? nameA : nameB;
}

/// <summary>
/// Team-draft interleaving (Radlinski, Kurup and Joachims, "How Does Clickthrough Data Reflect Retrieval
/// Quality?", CIKM 2008): like captains picking teams, the ranker with fewer picks so far (a coin flip when
/// even) adds its highest-ranked item not yet in the list. Each position remembers its team; a user's clicks
/// credit the team whose items they clicked, and the team with more clicks wins that user.
/// </summary>
public static class TeamDraftInterleaving
{
    public const int TeamA = 0;
    public const int TeamB = 1;

    /// <summary>
    /// Interleaves rankings <paramref name="a"/> and <paramref name="b"/> (best first, no repeats within each) into
    /// at most <paramref name="k"/> items. When one ranking runs out, the other keeps picking.
    /// </summary>
    public static InterleavedList Interleave(IReadOnlyList<int> a, IReadOnlyList<int> b, int k, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var items = new List<int>(k);
        var teams = new List<int>(k);
        var taken = new HashSet<int>();
        int nextA = 0, nextB = 0, picksA = 0, picksB = 0;
        while (items.Count < k)
        {
            SkipTaken(a, ref nextA, taken);
            SkipTaken(b, ref nextB, taken);
            bool aLeft = nextA < a.Count, bLeft = nextB < b.Count;
            if (!aLeft && !bLeft)
            {
                break;
            }

            bool aPicks = picksA < picksB || (picksA == picksB && random.Next(2) == 0);
            if (aPicks ? !aLeft : !bLeft)
            {
                aPicks = !aPicks;
            }

            int item = aPicks ? a[nextA++] : b[nextB++];
            taken.Add(item);
            items.Add(item);
            teams.Add(aPicks ? TeamA : TeamB);
            if (aPicks)
            {
                picksA++;
            }
            else
            {
                picksB++;
            }
        }

        return new InterleavedList(items, teams);
    }

    /// <summary>Credits clicks (positions in the list) to the teams: more clicks on A's items is a win for A, equal counts a tie.</summary>
    public static InterleavingWinner Credit(InterleavedList list, IEnumerable<int> clickedPositions)
    {
        int clicksA = 0, clicksB = 0;
        foreach (int position in clickedPositions)
        {
            if (position < 0 || position >= list.Teams.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(clickedPositions), position, $"A clicked position must lie in 0..{list.Teams.Count - 1}.");
            }

            if (list.Teams[position] == TeamA)
            {
                clicksA++;
            }
            else
            {
                clicksB++;
            }
        }

        return clicksA > clicksB ? InterleavingWinner.A : clicksB > clicksA ? InterleavingWinner.B : InterleavingWinner.Tie;
    }

    private static void SkipTaken(IReadOnlyList<int> ranking, ref int next, HashSet<int> taken)
    {
        while (next < ranking.Count && taken.Contains(ranking[next]))
        {
            next++;
        }
    }
}
