using MovieRec.Core.Numerics;

namespace MovieRec.Core.Synthetic;

/// <summary>
/// A Gaussian copula over the columns of a table (one row per user or movie): each column keeps its own empirical
/// distribution (long tails stay long), and the dependence between columns is the correlation of their normal
/// scores. A draw is a correlated normal vector mapped back through each column's quantiles, interpolated between
/// neighbouring values, so no row of the source is copied as a whole.
/// </summary>
internal sealed class GaussianCopula
{
    private readonly double[][] _sorted;
    private readonly double[] _lower;

    private GaussianCopula(double[][] sorted, double[] lower)
    {
        _sorted = sorted;
        _lower = lower;
    }

    public int Dimensions => _sorted.Length;

    /// <summary>Fits the copula to <paramref name="columns"/> (columns[c][row]; every column the same length, at least 2 rows).</summary>
    public static GaussianCopula Fit(double[][] columns)
    {
        int d = columns.Length, n = columns[0].Length;
        if (n < 2)
        {
            throw new ArgumentException("A copula needs at least two rows.", nameof(columns));
        }

        double[][] sorted = new double[d][];
        double[][] scores = new double[d][];
        for (int c = 0; c < d; c++)
        {
            if (columns[c].Length != n)
            {
                throw new ArgumentException("Every column must have the same length.", nameof(columns));
            }

            sorted[c] = (double[])columns[c].Clone();
            int[] order = new int[n];
            for (int r = 0; r < n; r++)
            {
                order[r] = r;
            }

            double[] keys = (double[])columns[c].Clone();
            Array.Sort(keys, order);
            Array.Sort(sorted[c]);
            scores[c] = new double[n];
            for (int rank = 0; rank < n; rank++)
            {
                scores[c][order[rank]] = Normal.InverseCdf((rank + 0.5) / n);
            }
        }

        // Correlation of the normal scores (each has mean ~0 and the same spread), made positive definite.
        double[] a = new double[d * d];
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double sij = 0, sii = 0, sjj = 0;
                for (int r = 0; r < n; r++)
                {
                    sij += scores[i][r] * scores[j][r];
                    sii += scores[i][r] * scores[i][r];
                    sjj += scores[j][r] * scores[j][r];
                }

                a[(i * d) + j] = i == j ? 1.0 : sij / Math.Sqrt(sii * sjj) * 0.999;
            }
        }

        if (!Cholesky.Solve(a, new double[d], d))
        {
            // Degenerate columns (e.g. constant): fall back to independent columns.
            Array.Clear(a);
            for (int i = 0; i < d; i++)
            {
                a[(i * d) + i] = 1.0;
            }
        }

        for (int i = 0; i < d; i++)
        {
            for (int j = i + 1; j < d; j++)
            {
                a[(i * d) + j] = 0;
            }
        }

        return new GaussianCopula(sorted, a);
    }

    /// <summary>One draw: <paramref name="output"/>[c] follows column c's distribution.</summary>
    public void Sample(ref SplitMix random, Span<double> output)
    {
        int d = Dimensions;
        Span<double> z = d <= 64 ? stackalloc double[d] : new double[d];
        for (int i = 0; i < d; i++)
        {
            z[i] = random.NextGaussian();
        }

        for (int i = 0; i < d; i++)
        {
            double x = 0;
            for (int j = 0; j <= i; j++)
            {
                x += _lower[(i * d) + j] * z[j];
            }

            output[i] = Quantile(_sorted[i], Normal.Cdf(x));
        }
    }

    private static double Quantile(double[] sorted, double p)
    {
        double position = p * (sorted.Length - 1);
        int lo = Math.Clamp((int)position, 0, sorted.Length - 1);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        double t = position - lo;
        return sorted[lo] + ((sorted[hi] - sorted[lo]) * t);
    }
}

/// <summary>The standard normal distribution's CDF and its inverse.</summary>
internal static class Normal
{
    /// <summary>Phi(x), through erfc (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7).</summary>
    public static double Cdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    /// <summary>Phi^-1(p) by Acklam's rational approximation (relative error below 1.15e-9).</summary>
    public static double InverseCdf(double p)
    {
        if (p <= 0)
        {
            return double.NegativeInfinity;
        }

        if (p >= 1)
        {
            return double.PositiveInfinity;
        }

        const double PLow = 0.02425;
        double[] a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        double[] b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        double[] c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        double[] d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        if (p < PLow)
        {
            double q = Math.Sqrt(-2 * Math.Log(p));
            return (((((((c[0] * q) + c[1]) * q) + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((((d[0] * q) + d[1]) * q) + d[2]) * q + d[3]) * q + 1);
        }

        if (p > 1 - PLow)
        {
            double q = Math.Sqrt(-2 * Math.Log(1 - p));
            return -(((((((c[0] * q) + c[1]) * q) + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((((d[0] * q) + d[1]) * q) + d[2]) * q + d[3]) * q + 1);
        }

        double u = p - 0.5, r = u * u;
        return (((((((a[0] * r) + a[1]) * r) + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * u / (((((((b[0] * r) + b[1]) * r) + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }

    private static double Erfc(double x)
    {
        double z = Math.Abs(x);
        double t = 1.0 / (1.0 + (0.5 * z));
        double r = t * Math.Exp((-z * z) - 1.26551223 + (t * (1.00002368 + (t * (0.37409196 + (t * (0.09678418 + (t * (-0.18628806
            + (t * (0.27886807 + (t * (-1.13520398 + (t * (1.48851587 + (t * (-0.82215223 + (t * 0.17087277))))))))))))))))));
        return x >= 0 ? r : 2.0 - r;
    }
}
