namespace KirchhoffHw.Cells;

/// <summary>
/// A part's fitted shape: the cell's normalized output as a function of the model-unit input u,
/// shape(u) = Scale * F(Gain * u + Offset), where F is the characterized output per unit bias at differential gate
/// voltage y = Gain * u + Offset. Offset (V) is the input trim that puts the cell's zero (the OTA's crossing, the
/// rectifier's knee) where the target has it; the input network realizes it as part of its constant term.
/// The target is tanh(u) (tanh operation), u (linear transconductor) or relu(u) (rectifier) over |u| &lt;= Range.
/// Errors are of the shape, in model units per unit amplitude.
/// Linear and rectifier targets are homogeneous, so they are fitted once over |u| &lt;= 1 and a device whose
/// input spans |u| &lt;= U uses gain Gain / U and scale Scale * U (errors scale by U); tanh has its own scale.
/// <see cref="Y"/>, <see cref="F"/>: the characterized curve with the trim applied, F(y + Offset), on a uniform grid
/// symmetric about y = 0 (what macro laws interpolate; a grid point sits at the trimmed zero).
/// </summary>
public sealed record PartFit(CellTopology Topology, Operation Operation, double Range, double Gain, double Scale, double Offset,
    double[] U, double[] Shape, double RmsError, double MaxError, double OutputVoltageError, double[] Y, double[] F)
{
    /// <summary>The trim as a shift of the device's constant input term c (model units) at a device gain.</summary>
    public double InputTrim(double deviceGain) => Offset / deviceGain;

    public double DeviceGain(double range) => Operation == Operation.Tanh ? Gain : Gain / range;
    public double DeviceScale(double range) => Operation == Operation.Tanh ? Scale : Scale * range;
    public double DeviceError(double error, double range) => Operation == Operation.Tanh ? error : error * range;

    /// <summary>The trimmed characterized output per unit bias at differential input y (flat beyond the sweep).</summary>
    public double Cell(double y) => Interpolate(Y, F, y);

    /// <summary>The ideal shape of this part.</summary>
    public double Target(double u) => Topology.Target(Operation, u);

    /// <summary>The ideal shape this part is fitted to.</summary>
    public Model.Devices.Shape TargetShape => Topology.ShapeOf(Operation);

    /// <summary>The fitted cell's shape at u: table interpolation, flat beyond the characterized input range (saturation).</summary>
    public double Evaluate(double u) => Interpolate(U, Shape, u);

    internal static double Interpolate(double[] xs, double[] ys, double x)
    {
        if (x <= xs[0]) return ys[0];
        if (x >= xs[^1]) return ys[^1];
        int i = Array.BinarySearch(xs, x);
        if (i >= 0) return ys[i];
        i = ~i;
        double t = (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
        return ys[i - 1] + t * (ys[i] - ys[i - 1]);
    }
}

/// <summary>Maps a characterization onto a target law: picks the input gain and output scale, records the residual.</summary>
public static class Fitter
{
    /// <summary>Table points per fitted shape: the table is what macro decks and the macro reference both use.</summary>
    public const int TablePoints = 161;

    /// <param name="range">Largest |u| the devices see (from the dynamic-range analysis).</param>
    public static PartFit Fit(Characterization c, Operation op, double range)
    {
        if (!(range > 0)) range = 1;
        var y = c.Y;
        var f = c.Shape;
        // the trim never moves the cell's zero by more than 10 % of the sweep
        double trimMax = 0.1 * Math.Min(-y[0], y[^1]);
        double yMax = Math.Min(-y[0], y[^1]) - trimMax;
        var us = Enumerable.Range(0, 201).Select(i => -range + 2 * range * i / 200.0).ToArray();
        var ts = us.Select(u => c.Topology.Target(op, u)).ToArray();
        var fs = new double[us.Length];
        double Residual(double gain, double offset, out double scale, out double max)
        {
            // closed-form scale for this gain and trim (least squares), then the residual over a fine u grid; the cell
            // is read as its table reads it (flat beyond +-yMax), so the reported error is the macro law's
            for (int i = 0; i < us.Length; i++) fs[i] = PartFit.Interpolate(y, f, Math.Clamp(gain * us[i], -yMax, yMax) + offset);
            double num = 0, den = 0;
            for (int i = 0; i < us.Length; i++) { num += fs[i] * ts[i]; den += fs[i] * fs[i]; }
            scale = den > 0 ? num / den : 0;
            double sum = 0; max = 0;
            for (int i = 0; i < us.Length; i++) { double e = scale * fs[i] - ts[i]; sum += e * e; max = Math.Max(max, Math.Abs(e)); }
            return Math.Sqrt(sum / us.Length);
        }
        double TrimOf(double gain)
        {
            double a = -trimMax, b = trimMax;
            for (int iter = 0; iter < 60; iter++)
            {
                double m1 = a + (b - a) / 3, m2 = b - (b - a) / 3;
                if (Residual(gain, m1, out _, out _) < Residual(gain, m2, out _, out _)) b = m2; else a = m1;
            }
            return 0.5 * (a + b);
        }
        double Cost(double gain, out double scale, out double max) => Residual(gain, TrimOf(gain), out scale, out max);
        double best, bestScale;
        if (op == Operation.Tanh)
        {
            // the tanh's own scale: search the gain that best matches the whole curve (within the swept input)
            double lo = 1e-3, hi = yMax / range * 4;
            for (int iter = 0; iter < 80; iter++)
            {
                double m1 = lo + (hi - lo) / 3, m2 = hi - (hi - lo) / 3;
                if (Cost(m1, out _, out _) < Cost(m2, out _, out _)) hi = m2; else lo = m1;
            }
            best = 0.5 * (lo + hi);
        }
        else
        {
            // The gain trades the knee and offset (which shrink in u as the gain grows) against the pair's
            // curvature (which grows with it). A smaller gain also needs more bias for the same slope, so take the
            // largest gain whose worst residual is within 1 % of the range, or within 20 % of the best reachable
            // when the knee alone exceeds 1 % (the rectifier).
            double lo = Math.Log(1e-3), hi = Math.Log(yMax / range);
            double Worst(double logGain) { Cost(Math.Exp(logGain), out _, out var m); return m; }
            double a = lo, b = hi;
            for (int iter = 0; iter < 80; iter++)
            {
                double m1 = a + (b - a) / 3, m2 = b - (b - a) / 3;
                if (Worst(m1) < Worst(m2)) b = m2; else a = m1;
            }
            double bestLog = 0.5 * (a + b), target = Math.Max(0.01 * range, 1.2 * Worst(bestLog));
            double okLog = bestLog, badLog = hi;
            if (Worst(hi) <= target) okLog = hi;
            else
                for (int iter = 0; iter < 60; iter++)
                {
                    double mid = 0.5 * (okLog + badLog);
                    if (Worst(mid) <= target) okLog = mid; else badLog = mid;
                }
            best = Math.Exp(okLog);
        }
        double trim = TrimOf(best);
        double rms = Residual(best, trim, out bestScale, out var maxErr);
        // the table covers the characterized input range in u: beyond it the cell is saturated (flat)
        double uMax = yMax / best;
        var u = Enumerable.Range(0, TablePoints).Select(i => -uMax + 2 * uMax * i / (TablePoints - 1)).ToArray();
        var shape = u.Select(x => bestScale * PartFit.Interpolate(y, f, best * x + trim)).ToArray();
        // output compliance: how far the output currents move when the outputs swing over the characterized voltages
        double vErr = 0;
        for (int k = 0; k < c.OutputVolts.Length; k++)
            for (int i = 0; i < y.Length; i++)
            {
                if (Math.Abs(y[i] - trim) > best * range) continue;
                vErr = Math.Max(vErr, bestScale * Math.Max(Math.Abs(c.To[k][i] - f[i]), Math.Abs(c.From[k][i] - f[i])));
            }
        var yGrid = Enumerable.Range(0, TablePoints).Select(i => -yMax + 2 * yMax * i / (TablePoints - 1)).ToArray();
        var fGrid = yGrid.Select(v => PartFit.Interpolate(y, f, v + trim)).ToArray();
        return new PartFit(c.Topology, op, range, best, bestScale, trim, u, shape, rms, maxErr, vErr, yGrid, fGrid);
    }
}
