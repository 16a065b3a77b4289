namespace KirchhoffHw.Calibration;

/// <summary>Why a minimization stopped.</summary>
public enum StopReason
{
    /// <summary>The projected gradient vanished (to <see cref="LbfgsOptions.GradientTolerance"/>).</summary>
    Converged,
    /// <summary>The loss changed by less than <see cref="LbfgsOptions.RelativeLossChange"/> over several iterations.</summary>
    LossStalled,
    MaxIterations,
    TimeBudget,
    /// <summary>The held-out error stopped improving (<see cref="CalibrationOptions.HeldOutPatience"/>): further steps would fit the training draws only.</summary>
    HeldOutStalled,
    /// <summary>No step along the search direction or the projected gradient lowered the loss: not converged.</summary>
    NoDescent,
}

/// <param name="Memory">Curvature pairs kept; 0 chooses from the problem's size (<see cref="LbfgsOptions.PairsFor"/>).</param>
/// <param name="RelativeLossChange">Stop when each of the last <paramref name="StallIterations"/> iterations lowered the loss by less than this fraction.</param>
/// <param name="GradientTolerance">Stop when every component of the projected gradient is below this (in the scaled variables).</param>
/// <param name="FirstStep">Largest change of any scaled variable on the first iteration, before curvature is known.</param>
public sealed record LbfgsOptions(int MaxIterations = 200, int Memory = 0, double RelativeLossChange = 1e-6, int StallIterations = 3,
    double GradientTolerance = 1e-10, double FirstStep = 0.05, int MaxBacktracks = 20)
{
    public static readonly LbfgsOptions Default = new();

    /// <summary>
    /// Pairs for <paramref name="variables"/> unknowns: 40, since a calibration has thousands of coupled variables and a
    /// richer curvature model pays (docs/adjoint.md), unless the pairs would pass 2^23 values (64 MB); never fewer than 5.
    /// </summary>
    public int PairsFor(int variables) => Memory > 0 ? Memory : Math.Clamp((1 << 22) / Math.Max(1, variables), 5, 40);
}

/// <summary>An objective evaluation: its value and its gradient, or why it could not be computed.</summary>
public readonly record struct Evaluation(double Value, double[] Gradient)
{
    public bool IsFinite => double.IsFinite(Value) && Gradient.All(double.IsFinite);
}

/// <summary>
/// Projected L-BFGS for bound constraints (the active-set variant of L-BFGS-B, without its generalized Cauchy point):
/// variables at a bound whose gradient pushes outwards are held there, the two-loop recursion runs on the rest, and a
/// backtracking line search along the projected path x(alpha) = P(x + alpha d) accepts the first point meeting
/// Armijo's condition. Chosen over Adam because each evaluation is a full-batch solve with its adjoint, so the objective
/// is deterministic and smooth and a quasi-Newton method needs an order of magnitude fewer evaluations, with no
/// learning rate to tune per design (an unseen checkpoint would need its own).
/// </summary>
public static class ProjectedLbfgs
{
    /// <summary>One finished iteration: its index (0 for the starting point), the loss, the point, the evaluations so far.</summary>
    public readonly record struct Iteration(int Index, double Loss, double[] X, int Evaluations);

    /// <param name="LossPerIteration">The loss at the start (index 0) and after each iteration.</param>
    public sealed record Result(double[] X, double Loss, double[] Gradient, int Iterations, int Evaluations, StopReason Reason, IReadOnlyList<double> LossPerIteration);

    /// <param name="evaluate">The objective at a point; an evaluation that throws <see cref="ObjectiveFailedException"/> (a trajectory
    /// that cannot be solved) counts as an infinite loss, so the line search backs off. When every trial of an
    /// iteration is non-finite, or the start is, <see cref="NonFiniteException"/> says where.</param>
    /// <param name="stop">Asked before each iteration; true ends the run with <see cref="StopReason.TimeBudget"/>.</param>
    public static Result Minimize(Func<double[], Evaluation> evaluate, double[] x0, double[] lower, double[] upper, LbfgsOptions options,
        Action<Iteration>? iterated = null, Func<StopReason?>? stop = null)
    {
        int n = x0.Length;
        if (lower.Length != n || upper.Length != n) throw new ArgumentException("bounds and start need one value per variable");
        for (int i = 0; i < n; i++)
            if (!(lower[i] <= upper[i])) throw new ArgumentException($"variable {i}: lower bound {lower[i]} above upper bound {upper[i]}");
        var x = Project((double[])x0.Clone(), lower, upper);
        int memory = options.PairsFor(n);
        int evaluations = 1;
        var current = evaluate(x);
        if (!current.IsFinite) throw new NonFiniteException(0, current, x);
        var losses = new List<double> { current.Value };
        iterated?.Invoke(new Iteration(0, current.Value, x, evaluations));
        var s = new List<double[]>();
        var y = new List<double[]>();
        var rho = new List<double>();
        int stalled = 0;
        for (int it = 1; ; it++)
        {
            if (ProjectedGradientNorm(x, current.Gradient, lower, upper) <= options.GradientTolerance)
                return Done(StopReason.Converged);
            if (it > options.MaxIterations) return Done(StopReason.MaxIterations);
            if (stop?.Invoke() is { } reason) return Done(reason);

            var free = FreeSet(x, current.Gradient, lower, upper);
            var d = Direction(current.Gradient, free, s, y, rho);
            double slope = Dot(current.Gradient, d);
            if (!(slope < 0))
            {
                s.Clear(); y.Clear(); rho.Clear();
                d = Direction(current.Gradient, free, s, y, rho);
                slope = Dot(current.Gradient, d);
            }
            double alpha = s.Count == 0 ? options.FirstStep / Math.Max(MaxAbs(d), 1e-300) : 1.0;
            Evaluation next = default;
            double[]? xNew = null;
            bool accepted = false, anyFinite = false;
            int trials = 0;
            ObjectiveFailedException? failure = null;
            for (int bt = 0; bt <= options.MaxBacktracks; bt++)
            {
                xNew = Project(Axpy(x, alpha, d), lower, upper);
                var step = Subtract(xNew, x);
                if (MaxAbs(step) == 0) break;
                evaluations++;
                trials++;
                (next, var failed) = Safe(evaluate, xNew);
                failure = failed ?? failure;
                anyFinite |= next.IsFinite;
                if (next.IsFinite && next.Value <= current.Value + 1e-4 * Dot(current.Gradient, step))
                {
                    accepted = true;
                    break;
                }
                alpha *= 0.5;
            }
            if (!accepted)
            {
                if (s.Count == 0 && trials > 0 && !anyFinite)
                    throw new NonFiniteException(it, next, xNew!, failure: failure);
                if (s.Count == 0) return Done(StopReason.NoDescent);
                // curvature pairs gone stale: retry the iteration from the projected gradient before giving up
                s.Clear(); y.Clear(); rho.Clear();
                it--;
                continue;
            }
            for (int i = 0; i < n; i++)
                if (!double.IsFinite(xNew![i])) throw new NonFiniteException(it, next, xNew, i);
            var sk = Subtract(xNew!, x);
            var yk = Subtract(next.Gradient, current.Gradient);
            double sy = Dot(sk, yk);
            if (sy > 1e-12 * Math.Sqrt(Dot(sk, sk) * Dot(yk, yk)))
            {
                s.Add(sk); y.Add(yk); rho.Add(1 / sy);
                if (s.Count > memory) { s.RemoveAt(0); y.RemoveAt(0); rho.RemoveAt(0); }
            }
            double change = (current.Value - next.Value) / Math.Max(Math.Abs(current.Value), double.Epsilon);
            stalled = change < options.RelativeLossChange ? stalled + 1 : 0;
            x = xNew!;
            current = next;
            losses.Add(current.Value);
            iterated?.Invoke(new Iteration(it, current.Value, x, evaluations));
            if (stalled >= options.StallIterations) return Done(StopReason.LossStalled);
        }

        Result Done(StopReason reason) => new(x, current.Value, current.Gradient, losses.Count - 1, evaluations, reason, losses);
    }

    /// <summary>The objective could not be evaluated at a point (for example a trajectory the solver cannot follow).</summary>
    public sealed class ObjectiveFailedException(string message, Exception? inner = null) : Exception(message, inner);

    /// <summary>The loss or its gradient is not finite at an accepted point, or a variable went non-finite.</summary>
    public sealed class NonFiniteException : Exception
    {
        public int Iteration { get; }
        /// <summary>The first variable whose value or gradient is not finite, -1 when only the loss is.</summary>
        public int Variable { get; }
        public double Value { get; }
        /// <summary>The point where it happened.</summary>
        public double[] X { get; }

        public NonFiniteException(int iteration, Evaluation at, double[] x, int variable = -1, ObjectiveFailedException? failure = null)
            : base(failure is null ? $"iteration {iteration}: loss {at.Value}" : $"iteration {iteration}: {failure.Message}", failure)
        {
            Iteration = iteration;
            Value = at.Value;
            X = x;
            Variable = variable >= 0 ? variable : FirstNonFinite(x, at.Gradient);
        }

        private static int FirstNonFinite(double[] x, double[]? g)
        {
            for (int i = 0; i < x.Length; i++)
                if (!double.IsFinite(x[i]) || (g is not null && i < g.Length && !double.IsFinite(g[i]))) return i;
            return -1;
        }
    }

    private static (Evaluation, ObjectiveFailedException?) Safe(Func<double[], Evaluation> evaluate, double[] x)
    {
        try
        {
            return (evaluate(x), null);
        }
        catch (ObjectiveFailedException e)
        {
            return (new Evaluation(double.NaN, new double[x.Length]), e);
        }
    }

    /// <summary>Free variables: not at a bound, or at one with the gradient pointing inwards.</summary>
    private static bool[] FreeSet(double[] x, double[] g, double[] lower, double[] upper)
    {
        var free = new bool[x.Length];
        for (int i = 0; i < x.Length; i++)
            free[i] = lower[i] < upper[i] && !(x[i] <= lower[i] && g[i] > 0) && !(x[i] >= upper[i] && g[i] < 0);
        return free;
    }

    /// <summary>-H g on the free variables by the two-loop recursion, H0 = (s'y / y'y) I; zero on the rest.</summary>
    private static double[] Direction(double[] g, bool[] free, List<double[]> s, List<double[]> y, List<double> rho)
    {
        int n = g.Length, m = s.Count;
        var q = new double[n];
        for (int i = 0; i < n; i++) q[i] = free[i] ? g[i] : 0;
        var a = new double[m];
        for (int j = m - 1; j >= 0; j--)
        {
            a[j] = rho[j] * MaskedDot(s[j], q, free);
            for (int i = 0; i < n; i++) if (free[i]) q[i] -= a[j] * y[j][i];
        }
        double gamma = 1;
        if (m > 0)
        {
            double yy = MaskedDot(y[m - 1], y[m - 1], free), sy = MaskedDot(s[m - 1], y[m - 1], free);
            if (yy > 0 && sy > 0) gamma = sy / yy;
        }
        for (int i = 0; i < n; i++) q[i] *= gamma;
        for (int j = 0; j < m; j++)
        {
            double b = rho[j] * MaskedDot(y[j], q, free);
            for (int i = 0; i < n; i++) if (free[i]) q[i] += (a[j] - b) * s[j][i];
        }
        for (int i = 0; i < n; i++) q[i] = free[i] ? -q[i] : 0;
        return q;
    }

    public static double ProjectedGradientNorm(double[] x, double[] g, double[] lower, double[] upper)
    {
        double worst = 0;
        for (int i = 0; i < x.Length; i++)
            worst = Math.Max(worst, Math.Abs(Math.Clamp(x[i] - g[i], lower[i], upper[i]) - x[i]));
        return worst;
    }

    private static double[] Project(double[] x, double[] lower, double[] upper)
    {
        for (int i = 0; i < x.Length; i++) x[i] = Math.Clamp(x[i], lower[i], upper[i]);
        return x;
    }

    private static double MaskedDot(double[] a, double[] b, bool[] mask)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) if (mask[i]) s += a[i] * b[i];
        return s;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static double MaxAbs(double[] a) => a.Length == 0 ? 0 : a.Max(Math.Abs);
    private static double[] Axpy(double[] x, double a, double[] d) => x.Select((v, i) => v + a * d[i]).ToArray();
    private static double[] Subtract(double[] a, double[] b) => a.Select((v, i) => v - b[i]).ToArray();
}
