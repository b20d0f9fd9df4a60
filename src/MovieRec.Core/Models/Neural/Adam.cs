using System.Collections.Concurrent;
using System.Numerics.Tensors;

namespace MovieRec.Core.Models.Neural;

/// <summary>
/// Adam (Kingma and Ba 2015) over one flat parameter array, with optional L2 decay folded into the gradient. The
/// update runs over fixed ranges, so it gives the same numbers whatever the thread count.
/// </summary>
internal sealed class Adam(int size, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
{
    private readonly float[] _m = new float[size];
    private readonly float[] _v = new float[size];
    private int _step;

    public void Step(float[] parameters, float[] gradient, float learningRate, float l2, ParallelOptions parallel)
    {
        _step++;
        float c1 = 1f - MathF.Pow(beta1, _step), c2 = 1f - MathF.Pow(beta2, _step);
        float stepSize = learningRate * MathF.Sqrt(c2) / c1;
        if (parameters.Length < 1 << 15 || parallel.MaxDegreeOfParallelism == 1)
        {
            Update(parameters, gradient, 0, parameters.Length, stepSize, l2);
            return;
        }

        Parallel.ForEach(Partitioner.Create(0, parameters.Length, 1 << 14), parallel, range =>
            Update(parameters, gradient, range.Item1, range.Item2 - range.Item1, stepSize, l2));
    }

    private void Update(float[] parameters, float[] gradient, int start, int length, float stepSize, float l2)
    {
        Span<float> p = parameters.AsSpan(start, length), g = gradient.AsSpan(start, length);
        Span<float> m = _m.AsSpan(start, length), v = _v.AsSpan(start, length);
        if (l2 > 0)
        {
            TensorPrimitives.MultiplyAdd(p, l2, g, g);
        }

        // m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= step m / (sqrt(v) + eps).
        TensorPrimitives.Multiply(m, beta1, m);
        TensorPrimitives.MultiplyAdd(g, 1f - beta1, m, m);
        TensorPrimitives.Multiply(v, beta2, v);
        for (int n = 0; n < length; n++)
        {
            float gn = g[n];
            v[n] += (1f - beta2) * gn * gn;
            p[n] -= stepSize * m[n] / (MathF.Sqrt(v[n]) + epsilon);
        }
    }
}

/// <summary>
/// Per-epoch reporting and early stopping shared by the networks: reports train and validation RMSE through
/// <see cref="TrainingOptions.Progress"/>, keeps a snapshot of the best epoch's parameters and stops after
/// <c>patience</c> epochs without improvement.
/// </summary>
internal sealed class EarlyStopping(string model, int epochs, int patience, TrainingOptions training)
{
    private double _best = double.PositiveInfinity;
    private int _sinceBest;

    public int BestEpoch { get; private set; }

    public double BestValidationRmse => _best;

    /// <summary>Reports the epoch; returns true when its parameters are the best so far (the caller snapshots them).</summary>
    public bool Report(int epoch, double trainRmse, double? validationRmse)
    {
        training.Progress?.Report(new TrainingProgress(model, epoch + 1, epochs, trainRmse, validationRmse));
        if (validationRmse is not double v)
        {
            return false;
        }

        if (v < _best)
        {
            _best = v;
            _sinceBest = 0;
            BestEpoch = epoch + 1;
            return true;
        }

        _sinceBest++;
        return false;
    }

    public bool ShouldStop => patience > 0 && _sinceBest >= patience;
}
