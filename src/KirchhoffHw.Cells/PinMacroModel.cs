using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells;

/// <summary>
/// A device as its characterized cell behaves pin by pin (macro fidelity). With u = a vs + b vd + c and, per part j,
/// y_j = g_j u:
///   out of the source pin:      sum_j amp_j * [(1 - r_j) From_j(y_j, S vs) + r_j To_j(y_j, S vs)]
///   into the destination pin:   sum_j amp_j * [(1 - r_j) To_j(y_j, S vd) + r_j From_j(y_j, S vd)]
/// From_j, To_j the part's pin tables (<see cref="PinFit"/>: per unit bias against the trimmed core input and the pin's
/// own voltage in volts), S the design's volts per model unit, amp_j the realized bias / current scale signed by the
/// output direction, r_j = 1 when the cell is built reversed (`from` on the destination node). The two pins differ by
/// the mirrors' mismatch and each moves with its own voltage (output conductance), which a two-terminal law cannot say.
/// Parameters: a, b, c, then per part g_j, amp_j, r_j.
/// With an input curve L (the v2 cells' drivers, <see cref="RegulatedPinLaw"/>) the node voltages reach the affine input
/// through it: u = a L(vs) + b L(vd) + c, L in model units (L(x) = L_V(S x) / S of the curve L_V in volts), so the
/// drivers' nonlinearity is part of the law and its gradients.
/// </summary>
public sealed class PinMacroModel : DeviceModel
{
    private readonly PinFit[] _parts;
    private readonly double _scale;
    private readonly InputCurve? _input;

    private readonly PinCurve[] _grids;
    private readonly int[] _fromGrid, _toGrid;
    private readonly bool[] _sharedY;

    public const int A = 0, B = 1, C = 2, PartBase = 3, PerPart = 3;

    /// <param name="voltageScale">Volts per model voltage unit: the pin tables are in volts.</param>
    /// <param name="input">The drivers' curve L_V (volts to volts) the node voltages pass before the affine input; null: u is affine in them.</param>
    /// <param name="kind">Name suffix: what cell the law is of.</param>
    public PinMacroModel(DeviceModel ideal, IReadOnlyList<PinFit> parts, string techName, double voltageScale, InputCurve? input = null, string kind = "pins")
    {
        if (!(voltageScale > 0) || double.IsInfinity(voltageScale)) throw new ArgumentOutOfRangeException(nameof(voltageScale), "volts per unit must be positive and finite");
        Ideal = ideal;
        _parts = parts.ToArray();
        _scale = voltageScale;
        _input = input;
        Name = $"{ideal.Name}_{techName}_{kind}";
        ParameterNames = ["a", "b", "c", .. _parts.SelectMany((_, j) => new[] { $"g{j}", $"amp{j}", $"rev{j}" })];
        // the distinct voltage interpolations of the parts' pins: each node's weights are found once per grid
        var grids = new List<PinCurve>();
        int GridOf(PinCurve c)
        {
            int g = grids.FindIndex(c.SharesVoltages);
            if (g < 0) { grids.Add(c); g = grids.Count - 1; }
            return g;
        }
        _fromGrid = _parts.Select(f => GridOf(f.From)).ToArray();
        _toGrid = _parts.Select(f => GridOf(f.To)).ToArray();
        _sharedY = _parts.Select(f => f.From.SharesY(f.To)).ToArray();
        _grids = [.. grids];
        var (outLaw, inLaw) = BuildLaws();
        PinLaws = (outLaw, inLaw);
        Law = Expr.C(0.5) * (outLaw + inLaw);
    }

    public DeviceModel Ideal { get; }
    public IReadOnlyList<PinFit> Parts => _parts;
    public double VoltageScale => _scale;
    public InputCurve? Input => _input;

    /// <summary>A node voltage (model units) as the affine input sees it, and its derivative: L(x) with the input curve, x without.</summary>
    public double Drive(double x, out double dx)
    {
        if (_input is null) { dx = 1; return x; }
        return _input.Evaluate(_scale * x, out dx) / _scale;
    }
    public override string Name { get; }
    public override string Equation =>
        $"pin-level cell of {Ideal.Name}: out of src sum_j amp_j * from_j(g_j * u, v(src)), into dst sum_j amp_j * to_j(g_j * u, v(dst)), "
        + (_input is null ? "u = a*vs + b*vd + c" : "u = a*L(vs) + b*L(vd) + c (L the drivers' measured curve)") + " (pins exchanged when rev_j = 1)";
    public override IReadOnlyList<string> ParameterNames { get; }
    public override DeviceFamily Family => Ideal.Family;
    public override bool DependsOnDifferenceOnly => false;
    public override bool IsPinLevel => true;

    /// <summary>The cells' settling as a lag of the node voltages they see (model time units; 0: none).</summary>
    public double Lag { get; init; }

    public override double InputLag => Lag;

    /// <summary>The mean of the two pins' laws (what a two-terminal reading of the cell sees).</summary>
    public override Expr Law { get; }

    /// <summary>(current out of the source pin, current into the destination pin) as laws, for decks that write the pins separately.</summary>
    public override (Expr OutOfSource, Expr IntoDestination)? PinLaws { get; }

    public static int Gain(int part) => PartBase + PerPart * part;
    public static int Amplitude(int part) => PartBase + PerPart * part + 1;
    public static int Reversed(int part) => PartBase + PerPart * part + 2;

    public override double Current(double vs, double vd, ReadOnlySpan<double> p)
    {
        var (o, i) = PinCurrents(vs, vd, p);
        return 0.5 * (o + i);
    }

    public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p)
    {
        var g = PinGradient(vs, vd, p);
        return (0.5 * (g.SrcDVs + g.DstDVs), 0.5 * (g.SrcDVd + g.DstDVd));
    }

    public override void ParameterGradient(double vs, double vd, ReadOnlySpan<double> p, Span<double> dIdp)
    {
        Span<double> o = stackalloc double[p.Length], i = stackalloc double[p.Length];
        PinParameterGradient(vs, vd, p, o, i);
        for (int k = 0; k < p.Length; k++) dIdp[k] = 0.5 * (o[k] + i[k]);
    }

    public override (double OutOfSource, double IntoDestination) PinCurrents(double vs, double vd, ReadOnlySpan<double> p)
    {
        double u = p[A] * Drive(vs, out _) + p[B] * Drive(vd, out _) + p[C], xs = _scale * vs, xd = _scale * vd, o = 0, i = 0;
        for (int j = 0; j < _parts.Length; j++)
        {
            double g = p[Gain(j)], amp = p[Amplitude(j)], r = p[Reversed(j)], y = g * u;
            if (amp == 0) continue;
            var f = _parts[j];
            o += amp * Blend(r, f.From, f.To, y, xs);
            i += amp * Blend(r, f.To, f.From, y, xd);
        }
        return (o, i);
    }

    /// <summary>(1 - r) first + r second at (y, v), skipping a table whose weight is zero.</summary>
    private static double Blend(double r, PinCurve first, PinCurve second, double y, double v)
    {
        double sum = 0;
        if (r != 1) sum += (1 - r) * first.Evaluate(y, v);
        if (r != 0) sum += r * second.Evaluate(y, v);
        return sum;
    }

    private static double Blend(double r, PinCurve first, PinCurve second, double y, double v, out double dy, out double dv, out double dr)
    {
        PinCurve.EvaluateBoth(first, second, y, v, out var f1, out var y1, out var v1, out var f2, out var y2, out var v2);
        dy = (1 - r) * y1 + r * y2;
        dv = (1 - r) * v1 + r * v2;
        dr = f2 - f1;
        return (1 - r) * f1 + r * f2;
    }

    public override (double SrcDVs, double SrcDVd, double DstDVs, double DstDVd) PinGradient(double vs, double vd, ReadOnlySpan<double> p)
    {
        double ls = Drive(vs, out var dls), ld = Drive(vd, out var dld);
        double u = p[A] * ls + p[B] * ld + p[C], xs = _scale * vs, xd = _scale * vd, ua = p[A] * dls, ub = p[B] * dld;
        double sVs = 0, sVd = 0, dVs = 0, dVd = 0;
        for (int j = 0; j < _parts.Length; j++)
        {
            double g = p[Gain(j)], amp = p[Amplitude(j)], r = p[Reversed(j)], y = g * u;
            if (amp == 0) continue;
            var f = _parts[j];
            Blend(r, f.From, f.To, y, xs, out var oy, out var ov, out _);
            Blend(r, f.To, f.From, y, xd, out var iy, out var iv, out _);
            sVs += amp * (oy * g * ua + ov * _scale);
            sVd += amp * oy * g * ub;
            dVs += amp * iy * g * ua;
            dVd += amp * (iy * g * ub + iv * _scale);
        }
        return (sVs, sVd, dVs, dVd);
    }

    public override void PinParameterGradient(double vs, double vd, ReadOnlySpan<double> p, Span<double> outOfSource, Span<double> intoDestination)
    {
        double ls = Drive(vs, out _), ld = Drive(vd, out _);
        double u = p[A] * ls + p[B] * ld + p[C], xs = _scale * vs, xd = _scale * vd;
        outOfSource.Clear(); intoDestination.Clear();
        for (int j = 0; j < _parts.Length; j++)
        {
            double g = p[Gain(j)], amp = p[Amplitude(j)], r = p[Reversed(j)], y = g * u;
            var f = _parts[j];
            double o = Blend(r, f.From, f.To, y, xs, out var oy, out _, out var or);
            double i = Blend(r, f.To, f.From, y, xd, out var iy, out _, out var ir);
            double co = amp * oy * g, ci = amp * iy * g;
            outOfSource[A] += co * ls; outOfSource[B] += co * ld; outOfSource[C] += co;
            intoDestination[A] += ci * ls; intoDestination[B] += ci * ld; intoDestination[C] += ci;
            outOfSource[Gain(j)] = amp * oy * u; intoDestination[Gain(j)] = amp * iy * u;
            outOfSource[Amplitude(j)] = o; intoDestination[Amplitude(j)] = i;
            outOfSource[Reversed(j)] = amp * or; intoDestination[Reversed(j)] = amp * ir;
        }
    }

    // The batched kernels are the node-shared ones on a two-node state (the source row, then the destination row).
    public override void PinCurrents(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p, Span<double> outOfSource, Span<double> intoDestination) =>
        PinCurrents(TermsOf(vs, vd), 0, 1, p, outOfSource, intoDestination);

    public override void PinAdjoint(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p,
        ReadOnlySpan<double> weightOut, ReadOnlySpan<double> weightIn, Span<double> gradVs, Span<double> gradVd, Span<double> gradP) =>
        PinAdjoint(TermsOf(vs, vd), 0, 1, p, weightOut, weightIn, gradVs, gradVd, gradP);

    /// <summary>Node terms of a two-node state: row 0 = <paramref name="vs"/>, row 1 = <paramref name="vd"/>.</summary>
    internal PinNodeTerms TermsOf(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd)
    {
        int n = vs.Length;
        var state = new double[2 * n];
        vs.CopyTo(state);
        vd.CopyTo(state.AsSpan(n));
        return PrepareNodes(state, n, null)!;
    }

    /// <summary>
    /// Per node and sample: the drive L(v) with its derivative, and per voltage grid the pin voltage's interpolation
    /// weights (and their derivatives) with the range of rows they touch. Every device on a node reads them.
    /// </summary>
    private sealed class NodeTerms : PinNodeTerms
    {
        public readonly int[] Rows;
        public double[] Drive = [], DDrive = [];
        public readonly double[][] W, DW;
        public readonly int[][] Lo, Hi;

        public NodeTerms(int[] rows)
        {
            Rows = rows;
            W = new double[rows.Length][]; DW = new double[rows.Length][];
            Lo = new int[rows.Length][]; Hi = new int[rows.Length][];
        }

        public bool Fits(PinCurve[] grids)
        {
            if (Rows.Length != grids.Length) return false;
            for (int g = 0; g < grids.Length; g++)
                if (Rows[g] != grids[g].Volts.Length) return false;
            return true;
        }

        /// <summary>Room for <paramref name="count"/> node samples; a buffer large enough is kept as it is.</summary>
        public void Resize(int count, int width)
        {
            Width = width;
            if (count <= Drive.Length) return;
            Drive = new double[count]; DDrive = new double[count];
            for (int g = 0; g < Rows.Length; g++)
            {
                W[g] = new double[count * Rows[g]]; DW[g] = new double[count * Rows[g]];
                Lo[g] = new int[count]; Hi[g] = new int[count];
            }
        }

        public ReadOnlySpan<double> Weights(int g, int at) => W[g].AsSpan(at * Rows[g], Rows[g]);
        public ReadOnlySpan<double> Slopes(int g, int at) => DW[g].AsSpan(at * Rows[g], Rows[g]);
    }

    public override PinNodeTerms? PrepareNodes(ReadOnlySpan<double> state, int width, PinNodeTerms? reuse)
    {
        if (width <= 0) return null;
        int count = state.Length / width * width;
        var t = reuse is NodeTerms r && r.Fits(_grids) ? r : new NodeTerms(_grids.Select(g => g.Volts.Length).ToArray());
        t.Resize(count, width);
        for (int at = 0; at < count; at++)
        {
            double x = state[at];
            t.Drive[at] = Drive(x, out t.DDrive[at]);
            for (int g = 0; g < _grids.Length; g++)
            {
                int rows = t.Rows[g];
                var w = t.W[g].AsSpan(at * rows, rows);
                var dw = t.DW[g].AsSpan(at * rows, rows);
                _grids[g].VoltWeights(_scale * x, w, dw);
                int lo = 0, hi = rows - 1;
                while (lo < rows && w[lo] == 0 && dw[lo] == 0) lo++;
                while (hi >= lo && w[hi] == 0 && dw[hi] == 0) hi--;
                t.Lo[g][at] = lo; t.Hi[g][at] = hi;
            }
        }
        return t;
    }

    /// <summary>(1 - r) first + r second at the node sample <paramref name="at"/>, skipping a table whose weight is zero.</summary>
    private static double Blend(NodeTerms t, int at, double r, PinCurve first, int firstGrid, in PinCurve.YBasis q1,
        PinCurve second, int secondGrid, in PinCurve.YBasis q2)
    {
        double sum = 0;
        if (r != 1) sum += (1 - r) * first.Sum(t.Weights(firstGrid, at), t.Lo[firstGrid][at], t.Hi[firstGrid][at], q1);
        if (r != 0) sum += r * second.Sum(t.Weights(secondGrid, at), t.Lo[secondGrid][at], t.Hi[secondGrid][at], q2);
        return sum;
    }

    private static double Blend(NodeTerms t, int at, double r, PinCurve first, int firstGrid, in PinCurve.YBasis q1,
        PinCurve second, int secondGrid, in PinCurve.YBasis q2, out double dy, out double dv, out double dr)
    {
        double f1 = first.Sum(t.Weights(firstGrid, at), t.Slopes(firstGrid, at), t.Lo[firstGrid][at], t.Hi[firstGrid][at], q1, out var y1, out var v1);
        double f2 = second.Sum(t.Weights(secondGrid, at), t.Slopes(secondGrid, at), t.Lo[secondGrid][at], t.Hi[secondGrid][at], q2, out var y2, out var v2);
        dy = (1 - r) * y1 + r * y2;
        dv = (1 - r) * v1 + r * v2;
        dr = f2 - f1;
        return (1 - r) * f1 + r * f2;
    }

    public override void PinCurrents(PinNodeTerms terms, int source, int destination, ReadOnlySpan<double> p, Span<double> outOfSource, Span<double> intoDestination)
    {
        var t = (NodeTerms)terms;
        int n = t.Width, so = source * n, dn = destination * n;
        for (int b = 0; b < n; b++)
        {
            double u = p[A] * t.Drive[so + b] + p[B] * t.Drive[dn + b] + p[C], o = 0, i = 0;
            for (int j = 0; j < _parts.Length; j++)
            {
                double amp = p[Amplitude(j)];
                if (amp == 0) continue;
                double r = p[Reversed(j)], y = p[Gain(j)] * u;
                var f = _parts[j];
                var qf = f.From.Basis(y);
                var qt = _sharedY[j] ? qf : f.To.Basis(y);
                o += amp * Blend(t, so + b, r, f.From, _fromGrid[j], qf, f.To, _toGrid[j], qt);
                i += amp * Blend(t, dn + b, r, f.To, _toGrid[j], qt, f.From, _fromGrid[j], qf);
            }
            outOfSource[b] = o;
            intoDestination[b] = i;
        }
    }

    public override void PinAdjoint(PinNodeTerms terms, int source, int destination, ReadOnlySpan<double> p,
        ReadOnlySpan<double> weightOut, ReadOnlySpan<double> weightIn, Span<double> gradVs, Span<double> gradVd, Span<double> gradP)
    {
        var t = (NodeTerms)terms;
        int n = t.Width, so = source * n, dn = destination * n;
        for (int b = 0; b < n; b++)
        {
            double wo = weightOut[b], wi = weightIn[b];
            if (wo == 0 && wi == 0) continue;
            double lx = t.Drive[so + b], lz = t.Drive[dn + b];
            double u = p[A] * lx + p[B] * lz + p[C];
            double gs = 0, gd = 0, gu = 0;
            for (int j = 0; j < _parts.Length; j++)
            {
                double g = p[Gain(j)], amp = p[Amplitude(j)], r = p[Reversed(j)], y = g * u;
                var f = _parts[j];
                var qf = f.From.Basis(y);
                var qt = _sharedY[j] ? qf : f.To.Basis(y);
                double o = Blend(t, so + b, r, f.From, _fromGrid[j], qf, f.To, _toGrid[j], qt, out var oy, out var ov, out var or);
                double i = Blend(t, dn + b, r, f.To, _toGrid[j], qt, f.From, _fromGrid[j], qf, out var iy, out var iv, out var ir);
                double wy = wo * oy + wi * iy;
                gu += amp * g * wy;
                gs += amp * wo * ov * _scale;
                gd += amp * wi * iv * _scale;
                gradP[Gain(j) * n + b] += amp * wy * u;
                gradP[Amplitude(j) * n + b] += wo * o + wi * i;
                gradP[Reversed(j) * n + b] += amp * (wo * or + wi * ir);
            }
            gradVs[b] += gu * p[A] * t.DDrive[so + b] + gs;
            gradVd[b] += gu * p[B] * t.DDrive[dn + b] + gd;
            gradP[A * n + b] += gu * lx;
            gradP[B * n + b] += gu * lz;
            gradP[C * n + b] += gu;
        }
    }

    /// <summary>
    /// The pins as laws a deck can write: each table row a `pwl()` of the core input (its grid points, linear between
    /// them), the voltage weights a `pwl()` of the pin voltage sampled every <see cref="WeightStepVolts"/> over the rails.
    /// The deck therefore follows the software law to the tables' linear-interpolation error.
    /// </summary>
    private (Expr Out, Expr In) BuildLaws()
    {
        Expr Driven(Expr v) => _input is null ? v : Expr.Lookup(Expr.C(_scale) * v, _input.X, _input.Values.Select(x => x / _scale).ToArray());
        Expr u = Expr.P(A) * Driven(Expr.Vs) + Expr.P(B) * Driven(Expr.Vd) + Expr.P(C);
        Expr? outLaw = null, inLaw = null;
        for (int j = 0; j < _parts.Length; j++)
        {
            var f = _parts[j];
            Expr y = Expr.P(Gain(j)) * u, amp = Expr.P(Amplitude(j)), r = Expr.P(Reversed(j));
            Expr Pin(PinCurve curve, Expr volts)
            {
                var (grid, weights) = WeightTables(curve);
                Expr? sum = null;
                for (int k = 0; k < curve.Volts.Length; k++)
                {
                    var term = Expr.Lookup(volts, grid, weights[k]) * Expr.Lookup(y, curve.Y, curve.Values[k]);
                    sum = sum is null ? term : sum + term;
                }
                return sum!;
            }
            Expr vS = Expr.C(_scale) * Expr.Vs, vD = Expr.C(_scale) * Expr.Vd;
            var o = amp * ((Expr.C(1) - r) * Pin(f.From, vS) + r * Pin(f.To, vS));
            var i = amp * ((Expr.C(1) - r) * Pin(f.To, vD) + r * Pin(f.From, vD));
            outLaw = outLaw is null ? o : outLaw + o;
            inLaw = inLaw is null ? i : inLaw + i;
        }
        return (outLaw!, inLaw!);
    }

    public const double WeightStepVolts = 0.01;

    private static (double[] Grid, double[][] Weights) WeightTables(PinCurve curve)
    {
        int points = Math.Max(2, (int)Math.Ceiling((curve.RailHigh - curve.RailLow) / WeightStepVolts) + 1);
        var grid = Enumerable.Range(0, points).Select(i => curve.RailLow + (curve.RailHigh - curve.RailLow) * i / (points - 1)).ToArray();
        var weights = curve.Volts.Select(_ => new double[points]).ToArray();
        Span<double> w = stackalloc double[curve.Volts.Length], dw = stackalloc double[curve.Volts.Length];
        for (int i = 0; i < points; i++)
        {
            curve.VoltWeights(grid[i], w, dw);
            for (int k = 0; k < w.Length; k++) weights[k][i] = w[k];
        }
        return (grid, weights);
    }
}
