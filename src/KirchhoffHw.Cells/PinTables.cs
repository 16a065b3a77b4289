namespace KirchhoffHw.Cells;

/// <summary>
/// One output pin of a characterized cell: its current per unit bias as a function of the core's differential input y
/// (V, on a uniform grid) and of the pin's own voltage v (V, the characterized output voltages). Interpolation is
/// separable and C1 in both: a monotone cubic Hermite (Fritsch-Carlson slopes) in y per characterized voltage, then a
/// cubic Hermite across the voltages with centred-difference slopes, so the interpolant passes through every table
/// point and its gradient is continuous. Beyond the y grid the pin is flat (the cell saturates); beyond the
/// characterized voltages it continues linearly with the end slope up to <see cref="RailLow"/>..<see cref="RailHigh"/>,
/// flat beyond the rails. A curve built with <c>linearBeyond</c> continues beyond the y grid with its end slopes
/// instead (a rectifier's output keeps rising with its input).
/// </summary>
public sealed class PinCurve
{
    /// <summary>Uniform, ascending.</summary>
    public double[] Y { get; }
    /// <summary>Ascending pin voltages of the rows.</summary>
    public double[] Volts { get; }
    /// <summary>[row][i]: current per unit bias at (Y[i], Volts[row]).</summary>
    public double[][] Values { get; }
    public double RailLow { get; }
    public double RailHigh { get; }
    /// <summary>Beyond the y grid the rows continue with their end slopes (false: flat).</summary>
    public bool LinearBeyond { get; }

    private readonly double[][] _slopes;
    private readonly double[,] _dv; // slope across voltages at row k = sum_j _dv[k, j] * value_j
    private readonly double _y0, _h;

    public PinCurve(double[] y, double[] volts, double[][] values, double railLow, double railHigh, bool linearBeyond = false)
    {
        LinearBeyond = linearBeyond;
        if (y.Length < 3 || volts.Length < 2 || values.Length != volts.Length || values.Any(r => r.Length != y.Length))
            throw new ArgumentException("a pin table needs at least 3 inputs, 2 voltages and a value at each");
        Y = y; Volts = volts; Values = values;
        RailLow = Math.Min(railLow, volts[0]);
        RailHigh = Math.Max(railHigh, volts[^1]);
        _y0 = y[0];
        _h = (y[^1] - y[0]) / (y.Length - 1);
        _slopes = values.Select(r => MonotoneSlopes(r, _h)).ToArray();
        int n = volts.Length;
        _dv = new double[n, n];
        for (int k = 0; k < n; k++)
        {
            int lo = Math.Max(0, k - 1), hi = Math.Min(n - 1, k + 1);
            double span = volts[hi] - volts[lo];
            _dv[k, hi] += 1 / span;
            _dv[k, lo] -= 1 / span;
        }
    }

    /// <summary>Fritsch-Carlson slopes: the Hermite cubic through the points keeps every monotone stretch monotone.</summary>
    internal static double[] MonotoneSlopesOf(double[] f, double h) => MonotoneSlopes(f, h);

    private static double[] MonotoneSlopes(double[] f, double h)
    {
        int n = f.Length;
        var d = new double[n - 1];
        for (int i = 0; i < n - 1; i++) d[i] = (f[i + 1] - f[i]) / h;
        var m = new double[n];
        m[0] = d[0]; m[^1] = d[^1];
        for (int i = 1; i < n - 1; i++) m[i] = d[i - 1] * d[i] <= 0 ? 0 : 0.5 * (d[i - 1] + d[i]);
        for (int i = 0; i < n - 1; i++)
        {
            if (d[i] == 0) { m[i] = 0; m[i + 1] = 0; continue; }
            double a = m[i] / d[i], b = m[i + 1] / d[i], s = a * a + b * b;
            if (s > 9) { double t = 3 / Math.Sqrt(s); m[i] = t * a * d[i]; m[i + 1] = t * b * d[i]; }
        }
        return m;
    }

    /// <summary>Current per unit bias at (y, v) with its partial derivatives.</summary>
    public double Evaluate(double y, double v, out double dy, out double dv)
    {
        Span<double> w = stackalloc double[Volts.Length];
        Span<double> dw = stackalloc double[Volts.Length];
        VoltWeights(v, w, dw);
        return Sum(w, dw, 0, w.Length - 1, Basis(y), out dy, out dv);
    }

    /// <summary>
    /// Two curves at the same (y, v) with their partial derivatives, each exactly as <see cref="Evaluate(double, double, out double, out double)"/>
    /// gives it; a part's two pins share their grids, and then the voltage weights and the y basis are found once.
    /// </summary>
    public static void EvaluateBoth(PinCurve first, PinCurve second, double y, double v,
        out double f1, out double dy1, out double dv1, out double f2, out double dy2, out double dv2)
    {
        if (!first.SharesVoltages(second) || !first.SharesY(second) || first.LinearBeyond != second.LinearBeyond)
        {
            f1 = first.Evaluate(y, v, out dy1, out dv1);
            f2 = second.Evaluate(y, v, out dy2, out dv2);
            return;
        }
        Span<double> w = stackalloc double[first.Volts.Length];
        Span<double> dw = stackalloc double[first.Volts.Length];
        first.VoltWeights(v, w, dw);
        var q = first.Basis(y);
        f1 = first.Sum(w, dw, 0, w.Length - 1, q, out dy1, out dv1);
        f2 = second.Sum(w, dw, 0, w.Length - 1, q, out dy2, out dv2);
    }

    /// <summary>Current per unit bias at (y, v).</summary>
    public double Evaluate(double y, double v)
    {
        Span<double> w = stackalloc double[Volts.Length];
        Span<double> dw = stackalloc double[Volts.Length];
        VoltWeights(v, w, dw);
        return Sum(w, 0, w.Length - 1, Basis(y));
    }

    /// <summary>
    /// Interval index and position in it; flat = beyond the grid (i is then the end point and t the distance beyond
    /// it in y, signed, which only a <see cref="LinearBeyond"/> curve reads).
    /// </summary>
    private (int I, double T, bool Flat) Locate(double y)
    {
        double pos = (y - _y0) / _h;
        if (!(pos > 0)) return (0, double.IsNaN(pos) ? 0 : y - _y0, true);
        if (pos >= Y.Length - 1) return (Y.Length - 1, y - Y[^1], true);
        int i = Math.Min((int)pos, Y.Length - 2);
        return (i, pos - i, false);
    }

    /// <summary>
    /// The y interpolation at one input as weights of the four table entries it reads: a row's value is
    /// F0 f[I] + M0 m[I] + F1 f[J] + M1 m[J] (m the row's slopes), its y-derivative DF (f[I] - f[J]) + DM0 m[I] + DM1 m[J].
    /// One basis serves every row and both pins of a part (they share the grid); beyond the grid J = I.
    /// </summary>
    internal readonly record struct YBasis(int I, int J, double F0, double M0, double F1, double M1, double DF, double DM0, double DM1);

    /// <summary>The basis at <paramref name="y"/>, exactly the interpolation <see cref="Evaluate(double, double)"/> does.</summary>
    internal YBasis Basis(double y)
    {
        var (i, t, flat) = Locate(y);
        if (flat) return LinearBeyond ? new YBasis(i, i, 1, t, 0, 0, 0, 1, 0) : new YBasis(i, i, 1, 0, 0, 0, 0, 0, 0);
        double t2 = t * t, t3 = t2 * t, h = _h;
        return new YBasis(i, i + 1, 2 * t3 - 3 * t2 + 1, (t3 - 2 * t2 + t) * h, -2 * t3 + 3 * t2, (t3 - t2) * h,
            (6 * t2 - 6 * t) / h, 3 * t2 - 4 * t + 1, 3 * t2 - 2 * t);
    }

    /// <summary>sum over rows lo..hi of w_k row_k(y): the current per unit bias from a node's voltage weights.</summary>
    internal double Sum(ReadOnlySpan<double> w, int lo, int hi, in YBasis q)
    {
        double sum = 0;
        for (int k = lo; k <= hi; k++)
        {
            var f = Values[k]; var m = _slopes[k];
            sum += w[k] * (q.F0 * f[q.I] + q.M0 * m[q.I] + q.F1 * f[q.J] + q.M1 * m[q.J]);
        }
        return sum;
    }

    /// <summary><see cref="Sum(ReadOnlySpan{double}, int, int, in YBasis)"/> with its derivatives in y and (through dw) in v.</summary>
    internal double Sum(ReadOnlySpan<double> w, ReadOnlySpan<double> dw, int lo, int hi, in YBasis q, out double dy, out double dv)
    {
        double sum = 0; dy = 0; dv = 0;
        for (int k = lo; k <= hi; k++)
        {
            var f = Values[k]; var m = _slopes[k];
            double r = q.F0 * f[q.I] + q.M0 * m[q.I] + q.F1 * f[q.J] + q.M1 * m[q.J];
            sum += w[k] * r;
            dy += w[k] * (q.DF * (f[q.I] - f[q.J]) + q.DM0 * m[q.I] + q.DM1 * m[q.J]);
            dv += dw[k] * r;
        }
        return sum;
    }

    /// <summary>True when the two curves interpolate across voltages alike (same rows and rails): their weights are shared.</summary>
    internal bool SharesVoltages(PinCurve other) =>
        (ReferenceEquals(Volts, other.Volts) || Volts.AsSpan().SequenceEqual(other.Volts)) && RailLow == other.RailLow && RailHigh == other.RailHigh;

    /// <summary>True when the two curves share their y grid, so one <see cref="Basis"/> serves both.</summary>
    internal bool SharesY(PinCurve other) => ReferenceEquals(Y, other.Y) || (_y0 == other._y0 && _h == other._h && Y.Length == other.Y.Length);

    /// <summary>The interpolant across voltages as weights of the rows: value = sum_k w_k(v) row_k, d/dv = sum_k dw_k(v) row_k.</summary>
    public void VoltWeights(double v, Span<double> w, Span<double> dw)
    {
        w.Clear(); dw.Clear();
        int n = Volts.Length;
        if (v <= Volts[0] || v >= Volts[^1])
        {
            bool low = v <= Volts[0];
            int end = low ? 0 : n - 1;
            double x = Math.Clamp(v, RailLow, RailHigh) - Volts[end];
            bool inside = v > RailLow && v < RailHigh;
            w[end] = 1;
            for (int j = 0; j < n; j++)
            {
                w[j] += x * _dv[end, j];
                if (inside) dw[j] = _dv[end, j];
            }
            return;
        }
        int k = 0;
        while (k < n - 2 && v >= Volts[k + 1]) k++;
        double hv = Volts[k + 1] - Volts[k], t = (v - Volts[k]) / hv, t2 = t * t, t3 = t2 * t;
        double h00 = 2 * t3 - 3 * t2 + 1, h10 = t3 - 2 * t2 + t, h01 = -2 * t3 + 3 * t2, h11 = t3 - t2;
        double d00 = (6 * t2 - 6 * t) / hv, d10 = 3 * t2 - 4 * t + 1, d01 = -d00, d11 = 3 * t2 - 2 * t;
        w[k] += h00; w[k + 1] += h01;
        dw[k] += d00; dw[k + 1] += d01;
        for (int j = 0; j < n; j++)
        {
            w[j] += hv * (h10 * _dv[k, j] + h11 * _dv[k + 1, j]);
            dw[j] += d10 * _dv[k, j] + d11 * _dv[k + 1, j];
        }
    }
}

/// <summary>
/// A part's two output pins (<see cref="PartFit"/> gives the trim, grid and fit): `from` (current out of the node on
/// the cell's `from` pin) and `to` (current into the node on its `to` pin), each per unit bias against the trimmed core
/// input y and the pin's own voltage. <see cref="InterpolationError"/>: largest |table - measured| over every
/// characterized point inside the grid (per unit bias), both pins.
/// </summary>
public sealed record PinFit(PartFit? Part, PinCurve From, PinCurve To, double InterpolationError)
{
    /// <summary>
    /// The pin tables of <paramref name="fit"/>'s part from the characterization <paramref name="c"/>: each pin's measured
    /// current at every characterized output voltage, on the fit's trimmed y grid (y + Offset of the measured sweep).
    /// The characterization holds both pins of a copy at the same voltage; in these cells the two outputs are separate
    /// mirror branches, so each pin's current is a function of its own voltage.
    /// </summary>
    public static PinFit Of(Characterization c, PartFit fit, double railLow, double railHigh)
    {
        double[][] Rows(double[][] measured) => measured.Select(row => fit.Y.Select(y => PartFit.Interpolate(c.Y, row, y + fit.Offset)).ToArray()).ToArray();
        var from = new PinCurve(fit.Y, c.OutputVolts, Rows(c.From), railLow, railHigh);
        var to = new PinCurve(fit.Y, c.OutputVolts, Rows(c.To), railLow, railHigh);
        double err = 0;
        for (int k = 0; k < c.OutputVolts.Length; k++)
            for (int i = 0; i < c.Y.Length; i++)
            {
                double y = c.Y[i] - fit.Offset;
                if (y < fit.Y[0] || y > fit.Y[^1]) continue;
                err = Math.Max(err, Math.Abs(from.Evaluate(y, c.OutputVolts[k]) - c.From[k][i]));
                err = Math.Max(err, Math.Abs(to.Evaluate(y, c.OutputVolts[k]) - c.To[k][i]));
            }
        return new PinFit(fit, from, to, err);
    }
}

/// <summary>
/// A cell's output-side figures from its characterization (after the output-mirror trim), all per unit bias:
/// to/from mismatch at balance (differential input 0, outputs at 0 V) and its largest value over the sweep, in % of
/// bias; output conductance of each pin (fraction of bias per volt) at balance and its largest |value| over the sweep,
/// over the node swing: the characterized output voltages within <see cref="SwingFraction"/> of the outermost one (the
/// outermost copies measure compliance near the rails, not conductance).
/// </summary>
public sealed record OutputFigures(string Cell, double MismatchAtBalancePercent, double MaxMismatchPercent,
    double ToConductance, double FromConductance, double MaxToConductance, double MaxFromConductance, double SwingVolts)
{
    public const double SwingFraction = 2.0 / 3.0;

    public static OutputFigures Of(Characterization c)
    {
        int centre = c.Centre;
        double limit = SwingFraction * c.OutputVolts.Select(Math.Abs).Max() + 1e-9;
        int lo = Array.FindIndex(c.OutputVolts, v => v >= -limit), hi = Array.FindLastIndex(c.OutputVolts, v => v <= limit);
        double swing = c.OutputVolts[hi] - c.OutputVolts[lo];
        double At(double[] row, double y) => PartFit.Interpolate(c.Y, row, y);
        double maxMismatch = 0, maxTo = 0, maxFrom = 0;
        for (int i = 0; i < c.Y.Length; i++)
        {
            maxMismatch = Math.Max(maxMismatch, Math.Abs(c.To[centre][i] - c.From[centre][i]));
            maxTo = Math.Max(maxTo, Math.Abs(c.To[hi][i] - c.To[lo][i]) / swing);
            maxFrom = Math.Max(maxFrom, Math.Abs(c.From[hi][i] - c.From[lo][i]) / swing);
        }
        return new OutputFigures(c.Topology.Title,
            100 * (At(c.To[centre], 0) - At(c.From[centre], 0)), 100 * maxMismatch,
            (At(c.To[hi], 0) - At(c.To[lo], 0)) / swing, (At(c.From[hi], 0) - At(c.From[lo], 0)) / swing,
            maxTo, maxFrom, swing);
    }
}

/// <summary>
/// A monotone 1-D curve on a uniform grid (monotone cubic Hermite, Fritsch-Carlson slopes), continued linearly with
/// its end slopes beyond the grid: the v2 drivers' normalized line curve L(v) (<see cref="RegulatedPinLaw"/>), whose
/// value and derivative the pin law differentiates exactly.
/// </summary>
public sealed class InputCurve
{
    public double[] X { get; }
    public double[] Values { get; }
    private readonly double[] _slopes;
    private readonly double _x0, _h;

    public InputCurve(double[] x, double[] values)
    {
        if (x.Length < 3 || values.Length != x.Length) throw new ArgumentException("an input curve needs at least 3 points and a value at each");
        X = x; Values = values;
        _x0 = x[0];
        _h = (x[^1] - x[0]) / (x.Length - 1);
        _slopes = PinCurveSlopes.Monotone(values, _h);
    }

    public double Evaluate(double x, out double dx)
    {
        double pos = (x - _x0) / _h;
        if (!(pos > 0)) { dx = _slopes[0]; return Values[0] + dx * (double.IsNaN(pos) ? 0 : x - _x0); }
        if (pos >= X.Length - 1) { dx = _slopes[^1]; return Values[^1] + dx * (x - X[^1]); }
        int i = Math.Min((int)pos, X.Length - 2);
        double t = pos - i, t2 = t * t, t3 = t2 * t, h = _h;
        var f = Values; var m = _slopes;
        dx = ((6 * t2 - 6 * t) * (f[i] - f[i + 1])) / h + (3 * t2 - 4 * t + 1) * m[i] + (3 * t2 - 2 * t) * m[i + 1];
        return (2 * t3 - 3 * t2 + 1) * f[i] + (t3 - 2 * t2 + t) * h * m[i] + (-2 * t3 + 3 * t2) * f[i + 1] + (t3 - t2) * h * m[i + 1];
    }

    public double Evaluate(double x) => Evaluate(x, out _);
}

internal static class PinCurveSlopes
{
    public static double[] Monotone(double[] f, double h) => PinCurve.MonotoneSlopesOf(f, h);
}
