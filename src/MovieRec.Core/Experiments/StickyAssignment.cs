using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace MovieRec.Core.Experiments;

/// <summary>
/// Deterministic, sticky assignment of a unit (user id or session id) to a variant: SHA-256 of "salt\nid" read as a
/// number in [0, 1) and placed on the variants' cumulative weights. The same id and salt give the same variant in
/// every process and on every machine (unlike <c>string.GetHashCode</c>), and a new salt reshuffles everyone,
/// so consecutive experiments do not inherit each other's groups.
/// </summary>
public static class StickyAssignment
{
    /// <summary>The unit's position in [0, 1) for a salt: uniform over ids.</summary>
    public static double Bucket(string unitId, string salt)
    {
        ArgumentNullException.ThrowIfNull(unitId);
        ArgumentNullException.ThrowIfNull(salt);
        byte[] input = Encoding.UTF8.GetBytes(salt + "\n" + unitId);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        ulong top53 = BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11;
        return top53 / (double)(1UL << 53);
    }

    /// <summary>The index of the variant for a unit, given the variants' weights (any positive scale).</summary>
    public static int Choose(string unitId, string salt, IReadOnlyList<double> weights) =>
        ByBucket(Bucket(unitId, salt), weights);

    /// <summary>The variant whose cumulative-weight interval holds <paramref name="bucket"/> in [0, 1).</summary>
    public static int ByBucket(double bucket, IReadOnlyList<double> weights)
    {
        if (weights.Count == 0)
        {
            throw new ArgumentException("At least one variant weight is needed.", nameof(weights));
        }

        double total = 0;
        foreach (double w in weights)
        {
            if (!(w >= 0) || !double.IsFinite(w))
            {
                throw new ArgumentException($"Variant weights must be finite and non-negative (got {w}).", nameof(weights));
            }

            total += w;
        }

        if (!(total > 0))
        {
            throw new ArgumentException("At least one variant weight must be positive.", nameof(weights));
        }

        double target = bucket * total, cumulative = 0;
        for (int v = 0; v < weights.Count; v++)
        {
            cumulative += weights[v];
            if (target < cumulative)
            {
                return v;
            }
        }

        // Rounding at the top end: the last variant with weight.
        for (int v = weights.Count - 1; ; v--)
        {
            if (weights[v] > 0)
            {
                return v;
            }
        }
    }
}
