using System.Collections.Concurrent;
using System.Numerics.Tensors;

namespace MovieRec.Core.Numerics;

/// <summary>
/// The inverse of a dense symmetric positive-definite matrix (EASE's Gram matrix, thousands of rows): a blocked
/// right-looking Cholesky factorisation A = L L^T, the triangular inverse Y = L^-1 and A^-1 = Y^T Y. Every inner
/// product runs over contiguous rows with TensorPrimitives.Dot,
/// and each step reuses a block of rows from cache, so the cost is n^3/2 multiply-adds rather than n passes over
/// memory. Row partitions are fixed, so the result does not depend on the thread count.
/// </summary>
public static class SymmetricInverse
{
    private const int Block = 96;

    /// <summary>
    /// Replaces <paramref name="a"/> (n x n row-major, only its lower triangle read) by its inverse (full, symmetric).
    /// Returns false when the matrix is not positive definite.
    /// </summary>
    public static bool Invert(double[] a, int n, int threads = 1, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n == 0)
        {
            return true;
        }

        if (a.Length < (long)n * n)
        {
            throw new ArgumentException("The matrix is smaller than n x n.", nameof(a));
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellation };
        if (!Factor(a, n, parallel))
        {
            return false;
        }

        // Y = L^-1 is lower triangular; store its transpose U = Y^T (upper) in a fresh array, row c holding column c of Y.
        double[] u = new double[(long)n * n > int.MaxValue ? throw new ArgumentException("The matrix is too large.", nameof(n)) : n * n];
        InvertLower(a, u, n, parallel);

        // A^-1 = Y^T Y: entry (r, c), r <= c, is U[r, c..] . U[c, c..] (Y's rows k >= c).
        Parallel.ForEach(Partitioner.Create(0, n, 8), parallel, range =>
        {
            for (int c = range.Item1; c < n; c++)
            {
                ReadOnlySpan<double> uc = u.AsSpan((c * n) + c, n - c);
                for (int r = range.Item1; r < range.Item2 && r <= c; r++)
                {
                    double v = TensorPrimitives.Dot(u.AsSpan((r * n) + c, n - c), uc);
                    a[(r * n) + c] = v;
                    a[(c * n) + r] = v;
                }
            }
        });
        return true;
    }

    /// <summary>Blocked Cholesky: the lower triangle of <paramref name="a"/> becomes L.</summary>
    private static bool Factor(double[] a, int n, ParallelOptions parallel)
    {
        double[] panel = new double[n * Block];
        for (int k0 = 0; k0 < n; k0 += Block)
        {
            parallel.CancellationToken.ThrowIfCancellationRequested();
            int kb = Math.Min(Block, n - k0), k1 = k0 + kb;

            // The diagonal block, unblocked (earlier blocks' contributions were already subtracted).
            for (int j = k0; j < k1; j++)
            {
                ReadOnlySpan<double> lj = a.AsSpan((j * n) + k0, j - k0);
                double d = a[(j * n) + j] - TensorPrimitives.Dot(lj, lj);
                if (d <= 0 || !double.IsFinite(d))
                {
                    return false;
                }

                d = Math.Sqrt(d);
                a[(j * n) + j] = d;
                for (int i = j + 1; i < k1; i++)
                {
                    a[(i * n) + j] = (a[(i * n) + j] - TensorPrimitives.Dot(a.AsSpan((i * n) + k0, j - k0), lj)) / d;
                }
            }

            if (k1 == n)
            {
                break;
            }

            // The panel below it: each row solves against the diagonal block.
            Parallel.ForEach(Partitioner.Create(k1, n, 64), parallel, range =>
            {
                for (int i = range.Item1; i < range.Item2; i++)
                {
                    for (int j = k0; j < k1; j++)
                    {
                        a[(i * n) + j] = (a[(i * n) + j] - TensorPrimitives.Dot(a.AsSpan((i * n) + k0, j - k0), a.AsSpan((j * n) + k0, j - k0))) / a[(j * n) + j];
                    }
                }
            });

            // Trailing update A22 -= L21 L21^T (lower triangle), from a packed copy of the panel.
            int rows = n - k1;
            for (int i = 0; i < rows; i++)
            {
                a.AsSpan(((k1 + i) * n) + k0, kb).CopyTo(panel.AsSpan(i * kb, kb));
            }

            Parallel.ForEach(Partitioner.Create(0, rows, 16), parallel, range =>
            {
                for (int i = range.Item1; i < range.Item2; i++)
                {
                    ReadOnlySpan<double> li = panel.AsSpan(i * kb, kb);
                    Span<double> row = a.AsSpan((k1 + i) * n + k1, i + 1);
                    for (int j = 0; j <= i; j++)
                    {
                        row[j] -= TensorPrimitives.Dot(li, panel.AsSpan(j * kb, kb));
                    }
                }
            });
        }

        return true;
    }

    /// <summary>U = (L^-1)^T: row c of U is column c of L^-1, found by forward substitution, a block of columns at a time.</summary>
    private static void InvertLower(double[] l, double[] u, int n, ParallelOptions parallel)
    {
        const int columns = 16;
        Parallel.ForEach(Partitioner.Create(0, n, columns), parallel, range =>
        {
            for (int c = range.Item1; c < range.Item2; c++)
            {
                u[(c * n) + c] = 1.0 / l[(c * n) + c];
            }

            for (int i = range.Item1 + 1; i < n; i++)
            {
                double lii = l[(i * n) + i];
                for (int c = range.Item1; c < range.Item2 && c < i; c++)
                {
                    double s = TensorPrimitives.Dot(l.AsSpan((i * n) + c, i - c), u.AsSpan((c * n) + c, i - c));
                    u[(c * n) + i] = -s / lii;
                }
            }
        });
    }
}
