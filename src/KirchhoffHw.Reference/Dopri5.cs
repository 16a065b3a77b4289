namespace KirchhoffHw.Reference;

/// <summary>
/// Dormand-Prince 5(4) with FSAL, Hairer's initial step selection at every layer start and the usual step
/// control (safety 0.9, factor in [0.2, 10], no growth right after a rejection), per lane. The error norm is
/// the RMS over nodes 1..N of |err| / (atol + rtol * max(|y0|, |y1|)); each case's own norm drives its own
/// step (see <see cref="Chunk"/>). Sample times are served by the order-4 dense output, so asking for samples
/// never changes the trajectory.
/// </summary>
internal static class Dopri5
{
    private const double A21 = 1.0 / 5;
    private const double A31 = 3.0 / 40, A32 = 9.0 / 40;
    private const double A41 = 44.0 / 45, A42 = -56.0 / 15, A43 = 32.0 / 9;
    private const double A51 = 19372.0 / 6561, A52 = -25360.0 / 2187, A53 = 64448.0 / 6561, A54 = -212.0 / 729;
    private const double A61 = 9017.0 / 3168, A62 = -355.0 / 33, A63 = 46732.0 / 5247, A64 = 49.0 / 176, A65 = -5103.0 / 18656;
    private const double B1 = 35.0 / 384, B3 = 500.0 / 1113, B4 = 125.0 / 192, B5 = -2187.0 / 6784, B6 = 11.0 / 84;
    private const double E1 = 71.0 / 57600, E3 = -71.0 / 16695, E4 = 71.0 / 1920, E5 = -17253.0 / 339200, E6 = 22.0 / 525, E7 = -1.0 / 40;
    private const double D1 = -12715105075.0 / 11282082432, D3 = 87487479700.0 / 32700410799, D4 = -10690763975.0 / 1880347072,
        D5 = 701980252875.0 / 199316789632, D6 = -1453857185.0 / 822651844, D7 = 69997945.0 / 29380423;

    private const double Safety = 0.9, MinFactor = 0.2, MaxFactor = 10.0;

    // Stage inputs y + h * sum coef * k_j, j indexing K: k2..k6 (Stage2..Stage6), then y1 (Stage7, whose k7 is FSAL's next k1).
    // The adjoint recomputes steps from this same table in the same order, so it retraces the forward bit for bit.
    internal static readonly (double Coef, int K)[][] Tableau =
    [
        [(A21, 0)],
        [(A31, 0), (A32, 1)],
        [(A41, 0), (A42, 1), (A43, 2)],
        [(A51, 0), (A52, 1), (A53, 2), (A54, 3)],
        [(A61, 0), (A62, 1), (A63, 2), (A64, 3), (A65, 4)],
        [(B1, 0), (B3, 2), (B4, 3), (B5, 4), (B6, 5)],
    ];
    private static readonly (double Coef, int K)[] Error = [(E1, 0), (E3, 2), (E4, 3), (E5, 4), (E6, 5), (E7, 6)];

    /// <summary>What a lane's next batched evaluation computes: f(y0) and the trial f of the starting step, or stage k2..k7.</summary>
    private enum Phase : byte { Idle, Start, Trial, Stage2, Stage7 = Stage2 + 5 }

    /// <summary>
    /// Integrates every case of the chunk over [t0, t1]. Each batched evaluation serves every lane at its own
    /// phase, so a lane whose case leaves the layer takes the chunk's next case at once instead of idling
    /// until the slowest case of the batch is done.
    /// </summary>
    public static void Integrate(Chunk c, Kcl f, double t0, double t1, SolverOptions o, CancellationToken cancel)
    {
        if (!(t1 > t0))
        {
            for (int i = 0; i < c.CaseCount; i++) c.RecordSamplesUpTo(i, t0);
            return;
        }
        var phase = new Phase[c.Width];
        var h = new double[c.Width];
        var d1 = new double[c.Width];
        var lastRejected = new bool[c.Width];
        var (fx, result) = (c.Tmp, new double[c.Tmp.Length]);
        int next = 0;
        for (int b = 0; b < c.Lanes && next < c.CaseCount; b++) Start(c, phase, b, next++, t0);

        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            bool any = false;
            for (int b = 0; b < c.Lanes; b++)
            {
                if (phase[b] == Phase.Idle) continue;
                any = true;
                StageInput(c, phase[b], b, fx);
            }
            if (!any) return;
            c.Eval(f, fx, result);

            for (int b = 0; b < c.Lanes; b++)
            {
                switch (phase[b])
                {
                    case Phase.Idle: continue;
                    case Phase.Start:
                        CopyLane(c, result, c.K[0], b);
                        c.Hs[b] = StartingGuess(c, t1 - t0, o, b, out d1[b]);
                        phase[b] = Phase.Trial;
                        c.Rhs[c.LaneCase[b]]++;
                        continue;
                    case Phase.Trial:
                        h[b] = StartingStep(c, result, t1 - t0, o, b, d1[b]);
                        c.Rhs[c.LaneCase[b]]++;
                        break;
                    case < Phase.Stage7:
                        CopyLane(c, result, c.K[phase[b] - Phase.Stage2 + 1], b);
                        phase[b]++;
                        continue;
                    default:
                        CopyLane(c, result, c.K[6], b);
                        if (Finish(c, h, lastRejected, b, t1, o))
                        {
                            c.Release(b);
                            if (next < c.CaseCount) Start(c, phase, b, next++, t0);
                            else phase[b] = Phase.Idle;
                            continue;
                        }
                        break;
                }
                // A new step: stretch onto the boundary rather than leave a sliver of a step (Hairer's 1.01 rule).
                c.Hs[b] = c.T[b] + 1.01 * h[b] >= t1 ? t1 - c.T[b] : h[b];
                phase[b] = Phase.Stage2;
            }
        }
    }

    // lastRejected needs no reset: a case leaves the layer on an accepted step.
    private static void Start(Chunk c, Phase[] phase, int b, int i, double t0)
    {
        c.Assign(b, i, t0);
        phase[b] = Phase.Start;
    }

    private static void CopyLane(Chunk c, double[] from, double[] to, int b)
    {
        for (int i = c.Width + b; i < from.Length; i += c.Width) to[i] = from[i];
    }

    /// <summary>Lane b's rows of the next evaluation's input (the ground row stays 0).</summary>
    private static void StageInput(Chunk c, Phase p, int b, double[] x)
    {
        int w = c.Width;
        if (p == Phase.Start)
        {
            CopyLane(c, c.Y, x, b);
            return;
        }
        double hs = c.Hs[b];
        if (p == Phase.Trial)
        {
            for (int i = w + b; i < x.Length; i += w) x[i] = Math.FusedMultiplyAdd(hs, c.K[0][i], c.Y[i]);
            return;
        }
        var terms = Tableau[p - Phase.Stage2];
        var dst = p == Phase.Stage7 ? c.YNew : x;
        for (int i = w + b; i < x.Length; i += w)
        {
            double acc = 0;
            foreach (var (coef, k) in terms) acc = Math.FusedMultiplyAdd(coef, c.K[k][i], acc);
            dst[i] = Math.FusedMultiplyAdd(hs, acc, c.Y[i]);
        }
        if (p == Phase.Stage7) CopyLane(c, c.YNew, x, b);
    }

    /// <summary>
    /// The error test of lane b's step, k1..k7 all in: on acceptance records samples, takes y1 and k7 as the
    /// new y and k1, and sets the next step. True when the case reached t1.
    /// </summary>
    private static bool Finish(Chunk c, double[] h, bool[] lastRejected, int b, double t1, SolverOptions o)
    {
        int w = c.Width;
        double hs = c.Hs[b], sum = 0;
        for (int i = w + b; i < c.Y.Length; i += w)
        {
            double acc = 0;
            foreach (var (coef, k) in Error) acc = Math.FusedMultiplyAdd(coef, c.K[k][i], acc);
            double r = hs * acc / (o.AbsTol + o.RelTol * Math.Max(Math.Abs(c.Y[i]), Math.Abs(c.YNew[i])));
            sum += r * r;
        }
        double err = c.Nodes == 0 ? 0 : Math.Sqrt(sum / c.Nodes);
        int ci = c.LaneCase[b];
        if (err <= 1)
        {
            c.CountStep(b, true, 6, o);
            bool last = hs == t1 - c.T[b];
            double tNew = last ? t1 : c.T[b] + hs;
            while (c.HasSampleAtOrBefore(ci, tNew)) c.RecordSample(ci, Dense(c, b, tNew));
            c.Recorder?.Accepted(c, b, ci, hs);
            double factor = err == 0 ? MaxFactor : Math.Min(MaxFactor, Safety * Math.Pow(err, -0.2));
            if (lastRejected[b]) factor = Math.Min(1.0, factor);
            h[b] = hs * factor;
            lastRejected[b] = false;
            c.T[b] = tNew;
            CopyLane(c, c.YNew, c.Y, b);
            CopyLane(c, c.K[6], c.K[0], b);
            return last;
        }
        c.CountStep(b, false, 6, o);
        h[b] = hs * (double.IsNaN(err) ? MinFactor : Math.Max(MinFactor, Safety * Math.Pow(err, -0.2)));
        lastRejected[b] = true;
        if (!(h[b] > 1e-14 * Math.Max(1.0, Math.Abs(c.T[b]))))
            throw c.Failure(ci, $"Dopri5 step size underflow at t={c.T[b].ToString("R", System.Globalization.CultureInfo.InvariantCulture)} (state not finite or too stiff for the tolerance)");
        return false;
    }

    /// <summary>Hairer's dense output of order 4 for lane b at time t inside the step just taken.</summary>
    private static double[] Dense(Chunk c, int b, double tNew)
    {
        double ts = c.NextSampleTime(c.LaneCase[b]), h = c.Hs[b];
        if (ts >= tNew) return c.LaneState(c.YNew, b);
        double th = (ts - c.T[b]) / h, th1 = 1 - th;
        var k = c.K;
        var s = new double[c.Nodes];
        for (int n = 0; n < c.Nodes; n++)
        {
            int i = (n + 1) * c.Width + b;
            double y0 = c.Y[i], dy = c.YNew[i] - y0, bspl = h * k[0][i] - dy;
            double r5 = h * (D1 * k[0][i] + D3 * k[2][i] + D4 * k[3][i] + D5 * k[4][i] + D6 * k[5][i] + D7 * k[6][i]);
            s[n] = y0 + th * (dy + th1 * (bspl + th * (dy - h * k[6][i] - bspl + th1 * r5)));
        }
        return s;
    }

    // Hairer's starting step (Solving ODEs I, II.4), per lane, from f0 in K[0]: a guess h0, then one trial evaluation at y0 + h0 f0.
    private static double StartingGuess(Chunk c, double span, SolverOptions o, int b, out double d1)
    {
        double s0 = 0, s1 = 0;
        for (int i = c.Width + b; i < c.Y.Length; i += c.Width)
        {
            double scale = o.AbsTol + o.RelTol * Math.Abs(c.Y[i]), r0 = c.Y[i] / scale, r1 = c.K[0][i] / scale;
            s0 += r0 * r0;
            s1 += r1 * r1;
        }
        double d0 = c.Nodes == 0 ? 0 : Math.Sqrt(s0 / c.Nodes);
        d1 = c.Nodes == 0 ? 0 : Math.Sqrt(s1 / c.Nodes);
        return Math.Min(span, d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1);
    }

    private static double StartingStep(Chunk c, double[] f1, double span, SolverOptions o, int b, double d1)
    {
        double sum = 0;
        for (int i = c.Width + b; i < c.Y.Length; i += c.Width)
        {
            double r = (f1[i] - c.K[0][i]) / (o.AbsTol + o.RelTol * Math.Abs(c.Y[i]));
            sum += r * r;
        }
        double h0 = c.Hs[b], d2 = (c.Nodes == 0 ? 0 : Math.Sqrt(sum / c.Nodes)) / h0, m = Math.Max(d1, d2);
        double h1 = m <= 1e-15 ? Math.Max(1e-6, h0 * 1e-3) : Math.Pow(0.01 / m, 1.0 / 5);
        return Math.Min(Math.Min(100 * h0, h1), span);
    }
}
