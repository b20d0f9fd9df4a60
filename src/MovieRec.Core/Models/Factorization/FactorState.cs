using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using MovieRec.Core.Data;
using MovieRec.Core.Numerics;

namespace MovieRec.Core.Models.Factorization;

/// <summary>One training rating in the SGD loops.</summary>
internal readonly record struct RatingEntry(int U, int I, float R);

/// <summary>
/// The parameters an SGD trainer updates. Factor rows are padded to a multiple of the SIMD width so the update loop
/// needs no scalar tail; the padding stays zero (its gradient is zero) and is dropped when the model is built.
/// </summary>
internal sealed class FactorState
{
    public FactorState(int users, int items, int factors, double initStd, Random random, float mu)
    {
        Factors = factors;
        Stride = (factors + Vector<float>.Count - 1) / Vector<float>.Count * Vector<float>.Count;
        Mu = mu;
        UserBias = new float[users];
        ItemBias = new float[items];
        P = NewFactors(users, random, initStd);
        Q = NewFactors(items, random, initStd);
    }

    private FactorState(FactorState other)
    {
        Factors = other.Factors;
        Stride = other.Stride;
        Mu = other.Mu;
        UserBias = (float[])other.UserBias.Clone();
        ItemBias = (float[])other.ItemBias.Clone();
        P = (float[])other.P.Clone();
        Q = (float[])other.Q.Clone();
        Y = (float[]?)other.Y?.Clone();
    }

    public int Factors { get; }

    public int Stride { get; }

    public float Mu { get; }

    public float[] UserBias { get; }

    public float[] ItemBias { get; }

    public float[] P { get; }

    public float[] Q { get; }

    /// <summary>SVD++'s implicit factors, one row per item.</summary>
    public float[]? Y { get; set; }

    public Span<float> UserRow(int u) => P.AsSpan(u * Stride, Stride);

    public Span<float> ItemRow(int i) => Q.AsSpan(i * Stride, Stride);

    public FactorState Snapshot() => new(this);

    public float[] NewFactors(int rows, Random random, double std)
    {
        float[] f = new float[rows * Stride];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < Factors; c++)
            {
                f[(r * Stride) + c] = (float)Gaussian.Next(random, std);
            }
        }

        return f;
    }

    /// <summary>p += lr (err q - reg p); q += lr (err p_old - reg q), both rows at once.</summary>
    public static void UpdatePair(Span<float> p, Span<float> q, float lrErr, float decay)
    {
        ref float p0 = ref MemoryMarshal.GetReference(p);
        ref float q0 = ref MemoryMarshal.GetReference(q);
        var a = new Vector<float>(lrErr);
        var d = new Vector<float>(decay);
        for (nuint f = 0; f < (nuint)p.Length; f += (nuint)Vector<float>.Count)
        {
            Vector<float> pv = Vector.LoadUnsafe(ref p0, f);
            Vector<float> qv = Vector.LoadUnsafe(ref q0, f);
            ((pv * d) + (a * qv)).StoreUnsafe(ref p0, f);
            ((qv * d) + (a * pv)).StoreUnsafe(ref q0, f);
        }
    }

    /// <summary>The prediction of the current parameters for one entry, with the given user vector.</summary>
    public float Predict(int u, int i, ReadOnlySpan<float> userVector) =>
        Mu + UserBias[u] + ItemBias[i] + TensorPrimitives.Dot(userVector, ItemRow(i));

    public double Rmse(ReadOnlySpan<RatingEntry> entries, Func<int, ReadOnlySpan<float>>? userVector = null)
    {
        if (entries.IsEmpty)
        {
            return double.NaN;
        }

        double sum = 0;
        foreach (RatingEntry e in entries)
        {
            float pred = Predict(e.U, e.I, userVector is null ? UserRow(e.U) : userVector(e.U));
            double d = e.R - pred;
            sum += d * d;
        }

        return Math.Sqrt(sum / entries.Length);
    }

    /// <summary>Builds the immutable model, dropping the row padding.</summary>
    public MatrixFactorizationModel ToModel(string name, RatingMatrix train, float[] userVectors, float foldInRegularization) =>
        new(name, train, BiasBaseline.Default(train), Factors, Mu, UserBias, ItemBias, Unpad(userVectors), Unpad(Q), foldInRegularization);

    private float[] Unpad(float[] rows)
    {
        int n = rows.Length / Stride;
        float[] packed = new float[n * Factors];
        for (int r = 0; r < n; r++)
        {
            rows.AsSpan(r * Stride, Factors).CopyTo(packed.AsSpan(r * Factors, Factors));
        }

        return packed;
    }

    /// <summary>The training entries in user-major order, split into fit and validation sets.</summary>
    public static (RatingEntry[] Fit, RatingEntry[] Validation) Entries(RatingMatrix train, double validationFraction, Random random)
    {
        var all = new RatingEntry[train.Count];
        int n = 0;
        for (int u = 0; u < train.UserCount; u++)
        {
            ReadOnlySpan<int> items = train.ItemsOf(u);
            ReadOnlySpan<float> values = train.RatingsOf(u);
            for (int p = 0; p < items.Length; p++)
            {
                all[n++] = new RatingEntry(u, items[p], values[p]);
            }
        }

        if (validationFraction <= 0)
        {
            return (all, []);
        }

        var fit = new List<RatingEntry>(all.Length);
        var validation = new List<RatingEntry>((int)(all.Length * validationFraction) + 1);
        foreach (RatingEntry e in all)
        {
            (random.NextDouble() < validationFraction ? validation : fit).Add(e);
        }

        return ([.. fit], [.. validation]);
    }
}
