namespace KirchhoffHw.Reference;

/// <summary>
/// Classic fixed-step RK4. The step is shortened so each layer holds a whole number of equal steps and lands
/// on its boundary. A sample time inside a step gets its own partial RK4 step from the step's start, off the
/// main trajectory, so asking for samples never changes the result.
/// </summary>
internal static class Rk4
{
    public static void Integrate(Chunk c, Kcl f, double t0, double t1, SolverOptions o, CancellationToken cancel)
    {
        // Every case has its own lane here (no refilling), so lane b holds case b throughout.
        for (int b = 0; b < c.Lanes; b++) c.Assign(b, b, t0);
        Run(c, f, t0, t1, o, cancel);
        for (int b = 0; b < c.Lanes; b++) c.Release(b);
    }

    private static void Run(Chunk c, Kcl f, double t0, double t1, SolverOptions o, CancellationToken cancel)
    {
        if (!(t1 > t0)) return;
        double steps = Math.Max(1, Math.Ceiling((t1 - t0) / o.Rk4Step * (1 - 1e-12)));
        if (steps > o.MaxSteps) throw c.Failure(0, $"Rk4 needs {steps} steps for [{t0}, {t1}], more than MaxSteps {o.MaxSteps}");
        int n = (int)steps;
        double h = (t1 - t0) / n;
        var full = Lanes(c, h);
        for (int i = 0; i < n; i++)
        {
            cancel.ThrowIfCancellationRequested();
            double ti = t0 + i * h, tn = i == n - 1 ? t1 : t0 + (i + 1) * h;
            c.Eval(f, c.Y, c.K[0]);
            // All lanes share one time grid here, so lane 0 speaks for every lane's pending samples.
            while (c.Lanes > 0 && c.HasSampleAtOrBefore(0, tn) && c.NextSampleTime(0) < tn)
            {
                Step(c, f, Lanes(c, c.NextSampleTime(0) - ti));
                for (int b = 0; b < c.Lanes; b++) { c.RecordSample(b, c.LaneState(c.YNew, b)); c.Rhs[b] += 3; }
            }
            Step(c, f, full);
            (c.Y, c.YNew) = (c.YNew, c.Y);
            for (int b = 0; b < c.Lanes; b++)
            {
                c.T[b] = tn;
                c.CountStep(b, true, 4, o);
                while (c.HasSampleAtOrBefore(b, tn)) c.RecordSample(b, c.LaneState(c.Y, b));
            }
        }
    }

    private static double[] Lanes(Chunk c, double h)
    {
        var v = new double[c.Width];
        Array.Fill(v, h, 0, c.Lanes);
        return v;
    }

    /// <summary>YNew = one RK4 step of per-lane length h from Y, with f(Y) already in K[0].</summary>
    private static void Step(Chunk c, Kcl f, double[] h)
    {
        var (k1, k2, k3, k4) = (c.K[0], c.K[1], c.K[2], c.K[3]);
        c.Stage(c.Tmp, c.Y, h, [(0.5, k1)]);
        c.Eval(f, c.Tmp, k2);
        c.Stage(c.Tmp, c.Y, h, [(0.5, k2)]);
        c.Eval(f, c.Tmp, k3);
        c.Stage(c.Tmp, c.Y, h, [(1.0, k3)]);
        c.Eval(f, c.Tmp, k4);
        c.Stage(c.YNew, c.Y, h, [(1.0 / 6, k1), (1.0 / 3, k2), (1.0 / 3, k3), (1.0 / 6, k4)]);
    }
}
