namespace MovieRec.Core.Numerics;

/// <summary>
/// Solves small symmetric positive-definite systems A x = b in place (the per-user and per-item solves of ALS and
/// fold-in). Hand-written because these systems are tiny and solved millions of times: no allocation per solve.
/// </summary>
public static class Cholesky
{
    /// <summary>Solves with a factor <paramref name="l"/> that <see cref="Solve"/> left in its matrix; the solution replaces <paramref name="b"/>.</summary>
    public static void SolveFactored(ReadOnlySpan<double> l, Span<double> b, int n)
    {
        for (int i = 0; i < n; i++)
        {
            double s = b[i];
            for (int k = 0; k < i; k++)
            {
                s -= l[(i * n) + k] * b[k];
            }

            b[i] = s / l[(i * n) + i];
        }

        for (int i = n - 1; i >= 0; i--)
        {
            double s = b[i];
            for (int k = i + 1; k < n; k++)
            {
                s -= l[(k * n) + i] * b[k];
            }

            b[i] = s / l[(i * n) + i];
        }
    }

    /// <summary>
    /// Solves <paramref name="a"/> (n x n, row-major, only read below and on the diagonal; overwritten by its
    /// factor) times x = <paramref name="b"/>; the solution replaces <paramref name="b"/>.
    /// Returns false when the matrix is not positive definite.
    /// </summary>
    public static bool Solve(Span<double> a, Span<double> b, int n)
    {
        for (int j = 0; j < n; j++)
        {
            double d = a[(j * n) + j];
            for (int k = 0; k < j; k++)
            {
                d -= a[(j * n) + k] * a[(j * n) + k];
            }

            if (d <= 0 || !double.IsFinite(d))
            {
                return false;
            }

            d = Math.Sqrt(d);
            a[(j * n) + j] = d;
            for (int i = j + 1; i < n; i++)
            {
                double s = a[(i * n) + j];
                for (int k = 0; k < j; k++)
                {
                    s -= a[(i * n) + k] * a[(j * n) + k];
                }

                a[(i * n) + j] = s / d;
            }
        }

        // L y = b, then L^T x = y.
        for (int i = 0; i < n; i++)
        {
            double s = b[i];
            for (int k = 0; k < i; k++)
            {
                s -= a[(i * n) + k] * b[k];
            }

            b[i] = s / a[(i * n) + i];
        }

        for (int i = n - 1; i >= 0; i--)
        {
            double s = b[i];
            for (int k = i + 1; k < n; k++)
            {
                s -= a[(k * n) + i] * b[k];
            }

            b[i] = s / a[(i * n) + i];
        }

        return true;
    }
}
