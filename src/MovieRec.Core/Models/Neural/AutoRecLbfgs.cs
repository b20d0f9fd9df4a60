using System.Numerics.Tensors;

namespace MovieRec.Core.Models.Neural;

/// <summary>
/// Full-batch L-BFGS (Nocedal 1980; Liu and Nocedal 1989) over one AutoRec network's parameters, as the AutoRec paper
/// trains it: the objective is 1/2 the squared error over every fitted rating plus lambda/2 (||V||^2 + ||W||^2
/// [+ ||Y||^2]), its gradient summed over fixed per-thread shares of the movies in thread order (so a thread count gives
/// one result), a two-loop recursion over the last few steps for the direction and a backtracking Armijo line search.
/// </summary>
internal sealed class AutoRecLbfgs
{
    private readonly ItemColumns _fit;
    private readonly float _l2;
    private readonly AutoRecNetwork[] _perThread;
    private readonly ParallelOptions _parallel;
    private readonly AutoRecNetwork[] _s, _y;
    private readonly double[] _rho, _alpha;
    private readonly double[] _sse;
    private AutoRecNetwork _x, _g, _xNext, _gNext;
    private readonly AutoRecNetwork _d;
    private int _stored, _newest = -1;
    private double _gamma = 1;

    private readonly LeaveOneOutBuffers[]? _leaveOneOut;

    public AutoRecLbfgs(AutoRecNetwork start, ItemColumns fit, float l2, int history, AutoRecNetwork[] perThread, ParallelOptions parallel, bool leaveOneOut = false)
    {
        _leaveOneOut = leaveOneOut ? [.. perThread.Select(p => new LeaveOneOutBuffers(p.Hidden))] : null;
        _fit = fit;
        _l2 = l2;
        _perThread = perThread;
        _parallel = parallel;
        _x = start;
        _g = Blank(start);
        _xNext = Blank(start);
        _gNext = Blank(start);
        _d = Blank(start);
        _s = new AutoRecNetwork[history];
        _y = new AutoRecNetwork[history];
        _rho = new double[history];
        _alpha = new double[history];
        _sse = new double[perThread.Length];
        Loss = Evaluate(_x, _g);
    }

    /// <summary>The current parameters (replaced, not mutated in place, by each step).</summary>
    public AutoRecNetwork Parameters => _x;

    /// <summary>The objective at <see cref="Parameters"/>.</summary>
    public double Loss { get; private set; }

    /// <summary>The squared error of the fitted ratings alone at <see cref="Parameters"/>.</summary>
    public double SquaredError { get; private set; }

    /// <summary>False once a step could not decrease the objective (converged or stuck); further calls do nothing.</summary>
    public bool Moving { get; private set; } = true;

    /// <summary>One L-BFGS iteration: a direction from the stored steps, then a line search along it.</summary>
    public void Step()
    {
        if (!Moving)
        {
            return;
        }

        double gd = Direction();
        if (gd >= 0)
        {
            // Not a descent direction (bad curvature pairs): forget them and go down the gradient.
            _stored = 0;
            _newest = -1;
            _d.SetScaled(-1, _g);
            gd = -AutoRecNetwork.Dot(_g, _g);
        }

        double t = _stored == 0 ? Math.Min(1, 1 / Math.Sqrt(-gd)) : 1;
        double f0 = Loss, sse0 = SquaredError, sse = 0;
        bool accepted = false;
        for (int attempt = 0; attempt < 30; attempt++)
        {
            _xNext.SetSum(_x, t, _d);
            double f = Evaluate(_xNext, _gNext);
            sse = SquaredError;
            if (f <= f0 + (1e-4 * t * gd))
            {
                Loss = f;
                accepted = true;
                break;
            }

            // Minimiser of the quadratic through f0, its slope and f(t), kept within [0.1 t, 0.5 t].
            double q = -gd * t * t / (2 * (f - f0 - (gd * t)));
            t = double.IsFinite(q) ? Math.Clamp(q, 0.1 * t, 0.5 * t) : 0.5 * t;
        }

        if (!accepted)
        {
            Moving = false;
            SquaredError = sse0;
            return;
        }

        SquaredError = sse;
        Remember();
        (_x, _xNext) = (_xNext, _x);
        (_g, _gNext) = (_gNext, _g);
    }

    /// <summary>Stores s = x' - x and y = g' - g when their curvature s.y is positive.</summary>
    private void Remember()
    {
        int slot = (_newest + 1) % _s.Length;
        _s[slot] ??= Blank(_x);
        _y[slot] ??= Blank(_x);
        _s[slot].SetDifference(_xNext, _x);
        _y[slot].SetDifference(_gNext, _g);
        double sy = AutoRecNetwork.Dot(_s[slot], _y[slot]);
        double yy = AutoRecNetwork.Dot(_y[slot], _y[slot]);
        if (sy <= 1e-10 * yy || yy == 0)
        {
            return;
        }

        _rho[slot] = 1 / sy;
        _gamma = sy / yy;
        _newest = slot;
        _stored = Math.Min(_stored + 1, _s.Length);
    }

    /// <summary>d = -H g by the two-loop recursion; returns g.d.</summary>
    private double Direction()
    {
        _d.SetScaled(-1, _g);
        if (_stored == 0)
        {
            return -AutoRecNetwork.Dot(_g, _g);
        }

        int m = _s.Length;
        for (int j = 0; j < _stored; j++)
        {
            int slot = (_newest - j + m) % m;
            _alpha[slot] = _rho[slot] * AutoRecNetwork.Dot(_s[slot], _d);
            _d.AddScaled(-_alpha[slot], _y[slot]);
        }

        _d.SetScaled(_gamma, _d);
        for (int j = _stored - 1; j >= 0; j--)
        {
            int slot = (_newest - j + m) % m;
            double beta = _rho[slot] * AutoRecNetwork.Dot(_y[slot], _d);
            _d.AddScaled(_alpha[slot] - beta, _s[slot]);
        }

        return AutoRecNetwork.Dot(_g, _d);
    }

    /// <summary>The objective at <paramref name="x"/>, its gradient written to <paramref name="gradient"/>.</summary>
    private double Evaluate(AutoRecNetwork x, AutoRecNetwork gradient)
    {
        int threads = _perThread.Length, items = _fit.Start.Length - 1;
        Array.Clear(_sse);
        Parallel.For(0, threads, _parallel, t =>
        {
            AutoRecNetwork g = _perThread[t];
            g.Clear();
            float[] h = new float[x.Hidden], dh = new float[x.Hidden];
            for (int i = t * items / threads; i < (t + 1) * items / threads; i++)
            {
                _sse[t] += _leaveOneOut is null ? x.Backward(_fit, i, g, h, dh) : x.BackwardLeaveOneOut(_fit, i, g, _leaveOneOut[t]);
            }
        });
        gradient.SetScaled(1, _perThread[0]);
        for (int t = 1; t < threads; t++)
        {
            gradient.Add(_perThread[t], _parallel);
        }

        double sse = 0;
        for (int t = 0; t < threads; t++)
        {
            sse += _sse[t];
        }

        SquaredError = sse;
        double penalty = 0;
        if (_l2 > 0)
        {
            foreach ((float[] p, float[] g) in x.Weights.Zip(gradient.Weights))
            {
                penalty += AutoRecNetwork.Dot(p, p);
                TensorPrimitives.MultiplyAdd(p, _l2, g, g);
            }
        }

        return (sse / 2) + (_l2 / 2 * penalty);
    }

    private static AutoRecNetwork Blank(AutoRecNetwork like) => new(like.Users, like.Hidden, like.Y.Length > 0);
}
