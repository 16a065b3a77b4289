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

    public static void Integrate(Chunk c, Kcl f, double t0, double t1, SolverOptions o, CancellationToken cancel)
    {
        var (k1, k2, k3, k4, k5, k6) = (c.K[0], c.K[1], c.K[2], c.K[3], c.K[4], c.K[5]);
        var h = new double[c.Width];
        var lastRejected = new bool[c.Width];
        var done = new bool[c.Width];
        var accepted = new bool[c.Width];
        for (int b = 0; b < c.Width; b++)
        {
            c.T[b] = t0;
            done[b] = b >= c.Lanes;
            if (b < c.Lanes) c.RecordSamplesUpTo(b, t0);
        }
        if (!(t1 > t0)) return;

        c.Eval(f, c.Y, k1);
        InitialStep(c, f, t1 - t0, o, h);
        for (int b = 0; b < c.Lanes; b++) c.Rhs[b] += 2;

        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            bool any = false;
            for (int b = 0; b < c.Width; b++)
            {
                if (done[b]) { c.Hs[b] = 0; continue; }
                any = true;
                // Stretch onto the boundary rather than leave a sliver of a step (Hairer's 1.01 rule).
                c.Hs[b] = c.T[b] + 1.01 * h[b] >= t1 ? t1 - c.T[b] : h[b];
            }
            if (!any) return;

            k1 = c.K[0];
            var k7 = c.K[6];
            var hs = c.Hs;
            c.Stage(c.Tmp, c.Y, hs, [(A21, k1)]);
            c.Eval(f, c.Tmp, k2);
            c.Stage(c.Tmp, c.Y, hs, [(A31, k1), (A32, k2)]);
            c.Eval(f, c.Tmp, k3);
            c.Stage(c.Tmp, c.Y, hs, [(A41, k1), (A42, k2), (A43, k3)]);
            c.Eval(f, c.Tmp, k4);
            c.Stage(c.Tmp, c.Y, hs, [(A51, k1), (A52, k2), (A53, k3), (A54, k4)]);
            c.Eval(f, c.Tmp, k5);
            c.Stage(c.Tmp, c.Y, hs, [(A61, k1), (A62, k2), (A63, k3), (A64, k4), (A65, k5)]);
            c.Eval(f, c.Tmp, k6);
            c.Stage(c.YNew, c.Y, hs, [(B1, k1), (B3, k3), (B4, k4), (B5, k5), (B6, k6)]);
            c.Eval(f, c.YNew, k7);
            c.Stage(c.Tmp, null, hs, [(E1, k1), (E3, k3), (E4, k4), (E5, k5), (E6, k6), (E7, k7)]);

            bool allAccepted = true;
            var scale = c.K[1]; // k2 is free now: holds atol + rtol * max(|y0|, |y1|)
            for (int i = 0; i < scale.Length; i++)
                scale[i] = o.AbsTol + o.RelTol * Math.Max(Math.Abs(c.Y[i]), Math.Abs(c.YNew[i]));
            Array.Clear(accepted);
            for (int b = 0; b < c.Lanes; b++)
            {
                if (done[b]) continue;
                double err = c.Rms(c.Tmp, scale, b);
                if (err <= 1)
                {
                    c.CountStep(b, true, 6, o);
                    accepted[b] = true;
                    bool last = c.Hs[b] == t1 - c.T[b];
                    double tNew = last ? t1 : c.T[b] + c.Hs[b];
                    while (c.HasSampleAtOrBefore(b, tNew)) c.RecordSample(b, Dense(c, b, tNew));
                    double factor = err == 0 ? MaxFactor : Math.Min(MaxFactor, Safety * Math.Pow(err, -0.2));
                    if (lastRejected[b]) factor = Math.Min(1.0, factor);
                    h[b] = c.Hs[b] * factor;
                    lastRejected[b] = false;
                    c.T[b] = tNew;
                    done[b] = last;
                }
                else
                {
                    c.CountStep(b, false, 6, o);
                    allAccepted = false;
                    h[b] = c.Hs[b] * (double.IsNaN(err) ? MinFactor : Math.Max(MinFactor, Safety * Math.Pow(err, -0.2)));
                    lastRejected[b] = true;
                    if (!(h[b] > 1e-14 * Math.Max(1.0, Math.Abs(c.T[b]))))
                        throw c.Failure(b, $"Dopri5 step size underflow at t={c.T[b].ToString("R", System.Globalization.CultureInfo.InvariantCulture)} (state not finite or too stiff for the tolerance)");
                }
            }
            // Lanes that did not step (finished or padding) had h = 0, so their YNew equals Y and k7 equals k1.
            if (allAccepted) c.Swap();
            else
                for (int b = 0; b < c.Lanes; b++)
                    if (accepted[b]) c.AcceptLane(b);
        }
    }

    /// <summary>Hairer's dense output of order 4 for lane b at time t inside the step just taken.</summary>
    private static double[] Dense(Chunk c, int b, double tNew)
    {
        double ts = c.NextSampleTime(b), h = c.Hs[b];
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

    /// <summary>Hairer's starting step (Solving ODEs I, II.4), per lane, from f0 in K[0]; one extra evaluation.</summary>
    private static void InitialStep(Chunk c, Kcl f, double span, SolverOptions o, double[] h)
    {
        var (f0, f1, scale) = (c.K[0], c.K[1], c.K[2]);
        for (int i = 0; i < scale.Length; i++) scale[i] = o.AbsTol + o.RelTol * Math.Abs(c.Y[i]);
        var d1 = new double[c.Width];
        for (int b = 0; b < c.Lanes; b++)
        {
            double d0 = c.Rms(c.Y, scale, b);
            d1[b] = c.Rms(f0, scale, b);
            c.Hs[b] = Math.Min(span, d0 < 1e-5 || d1[b] < 1e-5 ? 1e-6 : 0.01 * d0 / d1[b]);
        }
        for (int b = c.Lanes; b < c.Width; b++) c.Hs[b] = 0;
        c.Stage(c.Tmp, c.Y, c.Hs, [(1.0, f0)]);
        c.Eval(f, c.Tmp, f1);
        for (int i = 0; i < f1.Length; i++) f1[i] -= f0[i];
        for (int b = 0; b < c.Lanes; b++)
        {
            double h0 = c.Hs[b], d2 = c.Rms(f1, scale, b) / h0, m = Math.Max(d1[b], d2);
            double h1 = m <= 1e-15 ? Math.Max(1e-6, h0 * 1e-3) : Math.Pow(0.01 / m, 1.0 / 5);
            h[b] = Math.Min(Math.Min(100 * h0, h1), span);
        }
    }
}
