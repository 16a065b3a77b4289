using System.Numerics;
using System.Numerics.Tensors;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Calibration;

/// <summary>
/// How a cell departs from its ideal law, each strength relative to the device: gain error (random, of the amplitude),
/// input offset (random, of the device's input range U = |a| r_s + |b| r_d + |c|, r the node's swing in the layer),
/// to/from mismatch (systematic, of |amplitude|: the source pin gives up more than the destination pin receives) and
/// output conductance (each pin's current moves by this fraction of |amplitude| per model unit of its own voltage).
/// </summary>
public sealed record CellImperfections(double GainSigma, double OffsetSigma, double Mismatch, double OutputConductance)
{
    /// <summary>
    /// The present MOS cells as characterized: output conductance 0.167 of bias per volt, expressed per model unit at
    /// <paramref name="voltageScale"/> volts per unit, with the given gain, offset and mismatch strengths.
    /// </summary>
    public static CellImperfections Measured(double voltageScale, double gainSigma = 0.02, double offsetSigma = 0.02, double mismatch = 0.01) =>
        new(gainSigma, offsetSigma, mismatch, 0.167 * voltageScale);

    /// <summary>
    /// The design with every device replaced by a <see cref="PerturbedCell"/> of its law, imperfections drawn per
    /// device from <paramref name="seed"/> (per layer, so layers draw independent patterns). Node swings for the
    /// offsets come from the design's own trajectories on <paramref name="inputs"/>.
    /// </summary>
    public Design Apply(Design ideal, IReadOnlyList<double[]> inputs, int seed)
    {
        var ranges = NodeSwing.Of(ideal, inputs);
        var layers = ideal.Layers.Select((layer, li) =>
        {
            if (!layer.Model.HasAffineForm)
                throw new KirchhoffHwException(ideal.Name, $"layer {li}: device model {layer.Model.Name} is not of the form amplitude * act(a*vs + b*vd + c), so it has no cell to perturb");
            var model = new PerturbedCell(layer.Model.Family);
            int n = layer.Edges.Count, np = model.ParameterCount;
            var theta = new double[np * n];
            var random = new Random(unchecked(seed * 1_000_003 + li));
            var r = ranges[li];
            for (int e = 0; e < n; e++)
            {
                var f = layer.Model.Affine(layer.ParametersOf(e));
                int s = layer.Edges.Source[e], d = layer.Edges.Destination[e];
                double range = Math.Abs(f.A) * r[s] + Math.Abs(f.B) * r[d] + Math.Abs(f.C);
                double gain = 1 + GainSigma * Normal(random), offset = OffsetSigma * range * Normal(random);
                double g = OutputConductance * Math.Abs(f.Amplitude);
                double[] column = [f.A, f.B, f.C, f.Amplitude, gain, offset, Mismatch, s == 0 ? 0 : g, d == 0 ? 0 : g];
                for (int k = 0; k < np; k++) theta[k * n + e] = column[k];
            }
            return new Layer(layer.TStart, layer.TEnd, model, layer.Edges, theta);
        }).ToList();
        return ideal.With(layers: layers, name: ideal.Name + "-perturbed");
    }

    private static double Normal(Random r)
    {
        double u1 = 1 - r.NextDouble(), u2 = r.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

/// <summary>Largest |voltage| of each node 0..N during each layer (ground 0), from the reference.</summary>
public static class NodeSwing
{
    /// <summary>At each layer's ends and 8 points inside, on up to 16 of the inputs; a node that never moves gets 1e-3.</summary>
    public static double[][] Of(Design design, IReadOnlyList<double[]> inputs)
    {
        int layers = design.Layers.Count;
        var ranges = Enumerable.Range(0, layers).Select(_ => new double[design.NodeCount + 1]).ToArray();
        var some = inputs.Take(16).ToList();
        if (some.Count > 0)
        {
            var times = design.Layers.SelectMany(l => Enumerable.Range(0, 10).Select(i => l.TStart + l.Duration * i / 9.0)).ToList();
            var result = ReferenceSolver.Solve(design, some, SolverOptions.Dopri5(1e-6), times);
            foreach (var c in result.Cases)
                for (int j = 0; j < times.Count; j++)
                {
                    int li = j / 10;
                    for (int k = 0; k < design.NodeCount; k++) ranges[li][k + 1] = Math.Max(ranges[li][k + 1], Math.Abs(c.Samples[j].State[k]));
                }
        }
        foreach (var r in ranges) for (int k = 1; k < r.Length; k++) r[k] = Math.Max(r[k], 1e-3);
        return ranges;
    }
}

/// <summary>
/// A cell with its imperfections, pin by pin: u = a vs + b vd + c + offset, A = amplitude * gain,
/// out of the source pin A act(u) + |A| m/2 + gs vs, into the destination pin A act(u) - |A| m/2 - gd vd.
/// Parameters: a, b, c, amplitude (what calibration adjusts), gain, offset, m, gs, gd (what the cell is).
/// Software only (no netlist form); batched kernels, since calibration runs it for every training case and iteration.
/// </summary>
public sealed class PerturbedCell(DeviceFamily family) : DeviceModel
{
    public const int A = 0, B = 1, C = 2, Amplitude = 3, Gain = 4, Offset = 5, Mismatch = 6, SourceConductance = 7, DestinationConductance = 8;

    public override string Name => $"PerturbedCell_{family}";
    public override string Equation => "out: amp*gain*act(a vs + b vd + c + offset) + |amp*gain| m/2 + gs vs; in: amp*gain*act(...) - |amp*gain| m/2 - gd vd";
    public override IReadOnlyList<string> ParameterNames { get; } = ["a", "b", "c", "amplitude", "gain", "offset", "mismatch", "gs", "gd"];
    public override DeviceFamily Family => family;
    public override bool DependsOnDifferenceOnly => false;
    public override bool IsPinLevel => true;

    public override Expr Law { get; } = Expr.P(Amplitude) * Expr.P(Gain) * Activation(family,
        Expr.Vs * Expr.P(A) + Expr.Vd * Expr.P(B) + Expr.P(C) + Expr.P(Offset));

    private static Expr Activation(DeviceFamily f, Expr x) => f switch
    {
        DeviceFamily.Tanh => Expr.Tanh(x),
        DeviceFamily.Relu => Expr.Relu(x),
        DeviceFamily.LeakyRelu => Expr.LeakyRelu(x, Activations.LeakySlope),
        _ => x,
    };

    public override double Current(double vs, double vd, ReadOnlySpan<double> p) => PinCurrents(vs, vd, p).OutOfSource;

    public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p)
    {
        var g = PinGradient(vs, vd, p);
        return (g.SrcDVs, g.SrcDVd);
    }

    public override (double OutOfSource, double IntoDestination) PinCurrents(double vs, double vd, ReadOnlySpan<double> p)
    {
        double amp = p[Amplitude] * p[Gain], t = Activations.Apply(family, p[A] * vs + p[B] * vd + p[C] + p[Offset]);
        double half = 0.5 * Math.Abs(amp) * p[Mismatch];
        return (amp * t + half + p[SourceConductance] * vs, amp * t - half - p[DestinationConductance] * vd);
    }

    public override (double SrcDVs, double SrcDVd, double DstDVs, double DstDVd) PinGradient(double vs, double vd, ReadOnlySpan<double> p)
    {
        double amp = p[Amplitude] * p[Gain], d = amp * Activations.Derivative(family, p[A] * vs + p[B] * vd + p[C] + p[Offset]);
        return (d * p[A] + p[SourceConductance], d * p[B], d * p[A], d * p[B] - p[DestinationConductance]);
    }

    public override void PinParameterGradient(double vs, double vd, ReadOnlySpan<double> p, Span<double> outOfSource, Span<double> intoDestination)
    {
        double u = p[A] * vs + p[B] * vd + p[C] + p[Offset];
        double t = Activations.Apply(family, u), amp = p[Amplitude] * p[Gain], d = amp * Activations.Derivative(family, u);
        double sign = Math.Sign(amp), m = p[Mismatch];
        outOfSource[A] = d * vs; outOfSource[B] = d * vd; outOfSource[C] = d; outOfSource[Offset] = d;
        outOfSource[Amplitude] = p[Gain] * (t + 0.5 * sign * m);
        outOfSource[Gain] = p[Amplitude] * (t + 0.5 * sign * m);
        outOfSource[Mismatch] = 0.5 * Math.Abs(amp);
        outOfSource[SourceConductance] = vs; outOfSource[DestinationConductance] = 0;
        intoDestination[A] = d * vs; intoDestination[B] = d * vd; intoDestination[C] = d; intoDestination[Offset] = d;
        intoDestination[Amplitude] = p[Gain] * (t - 0.5 * sign * m);
        intoDestination[Gain] = p[Amplitude] * (t - 0.5 * sign * m);
        intoDestination[Mismatch] = -0.5 * Math.Abs(amp);
        intoDestination[SourceConductance] = 0; intoDestination[DestinationConductance] = -vd;
    }

    public override void PinCurrents(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p, Span<double> outOfSource, Span<double> intoDestination)
    {
        double amp = p[Amplitude] * p[Gain], half = 0.5 * Math.Abs(amp) * p[Mismatch];
        var t = outOfSource;
        Argument(vs, vd, p, t);
        Activate(t, t);
        int n = t.Length, b = 0;
        var (va, vh, vgs, vgd) = (new Vector<double>(amp), new Vector<double>(half), new Vector<double>(p[SourceConductance]), new Vector<double>(p[DestinationConductance]));
        for (; b <= n - Vector<double>.Count; b += Vector<double>.Count)
        {
            var i = va * new Vector<double>(t[b..]);
            (i - vh - vgd * new Vector<double>(vd[b..])).CopyTo(intoDestination[b..]);
            (i + vh + vgs * new Vector<double>(vs[b..])).CopyTo(outOfSource[b..]);
        }
        for (; b < n; b++)
        {
            double i = amp * t[b];
            intoDestination[b] = i - half - p[DestinationConductance] * vd[b];
            outOfSource[b] = i + half + p[SourceConductance] * vs[b];
        }
    }

    public override void PinAdjoint(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p,
        ReadOnlySpan<double> weightOut, ReadOnlySpan<double> weightIn, Span<double> gradVs, Span<double> gradVd, Span<double> gradP)
    {
        int n = vs.Length;
        Span<double> t = n <= 256 ? stackalloc double[n] : new double[n];
        Span<double> dt = n <= 256 ? stackalloc double[n] : new double[n];
        Argument(vs, vd, p, dt);
        if (family == DeviceFamily.Tanh)
        {
            TensorPrimitives.Tanh(dt, t);
            for (int i = 0; i < n; i++) dt[i] = Math.FusedMultiplyAdd(-t[i], t[i], 1.0);
        }
        else
            for (int i = 0; i < n; i++)
            {
                double u = dt[i];
                t[i] = Activations.Apply(family, u);
                dt[i] = Activations.Derivative(family, u);
            }
        double amp = p[Amplitude] * p[Gain], sign = Math.Sign(amp), m = p[Mismatch];
        double gs = p[SourceConductance], gd = p[DestinationConductance];
        double halfMismatch = 0.5 * sign * m, halfAmp = 0.5 * Math.Abs(amp);
        int b = 0, vc = Vector<double>.Count;
        if (n >= vc)
        {
            var (vAmp, vA, vB, vGs, vGd) = (new Vector<double>(amp), new Vector<double>(p[A]), new Vector<double>(p[B]), new Vector<double>(gs), new Vector<double>(gd));
            var (vHm, vHa, vGain, vAmplitude) = (new Vector<double>(halfMismatch), new Vector<double>(halfAmp), new Vector<double>(p[Gain]), new Vector<double>(p[Amplitude]));
            for (; b <= n - vc; b += vc)
            {
                var (wo, wi) = (new Vector<double>(weightOut[b..]), new Vector<double>(weightIn[b..]));
                var (x, y) = (new Vector<double>(vs[b..]), new Vector<double>(vd[b..]));
                var w = wo + wi;
                var c = w * vAmp * new Vector<double>(dt[b..]);
                (new Vector<double>(gradVs[b..]) + c * vA + wo * vGs).CopyTo(gradVs[b..]);
                (new Vector<double>(gradVd[b..]) + c * vB - wi * vGd).CopyTo(gradVd[b..]);
                Add(gradP, A * n + b, c * x);
                Add(gradP, B * n + b, c * y);
                Add(gradP, C * n + b, c);
                Add(gradP, Offset * n + b, c);
                var tw = w * new Vector<double>(t[b..]) + vHm * (wo - wi);
                Add(gradP, Amplitude * n + b, vGain * tw);
                Add(gradP, Gain * n + b, vAmplitude * tw);
                Add(gradP, Mismatch * n + b, vHa * (wo - wi));
                Add(gradP, SourceConductance * n + b, wo * x);
                Add(gradP, DestinationConductance * n + b, -(wi * y));
            }
        }
        for (; b < n; b++)
        {
            double wo = weightOut[b], wi = weightIn[b], w = wo + wi, c = w * amp * dt[b];
            gradVs[b] += c * p[A] + wo * gs;
            gradVd[b] += c * p[B] - wi * gd;
            gradP[A * n + b] += c * vs[b];
            gradP[B * n + b] += c * vd[b];
            gradP[C * n + b] += c;
            gradP[Offset * n + b] += c;
            double tw = w * t[b] + halfMismatch * (wo - wi);
            gradP[Amplitude * n + b] += p[Gain] * tw;
            gradP[Gain * n + b] += p[Amplitude] * tw;
            gradP[Mismatch * n + b] += halfAmp * (wo - wi);
            gradP[SourceConductance * n + b] += wo * vs[b];
            gradP[DestinationConductance * n + b] -= wi * vd[b];
        }
    }

    private static void Add(Span<double> to, int at, Vector<double> v) => (new Vector<double>(to[at..]) + v).CopyTo(to[at..]);

    private static void Argument(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p, Span<double> u)
    {
        double a = p[A], bb = p[B], k = p[C] + p[Offset];
        int n = u.Length, b = 0;
        var (va, vb, vk) = (new Vector<double>(a), new Vector<double>(bb), new Vector<double>(k));
        for (; b <= n - Vector<double>.Count; b += Vector<double>.Count)
            (va * new Vector<double>(vs[b..]) + vb * new Vector<double>(vd[b..]) + vk).CopyTo(u[b..]);
        for (; b < n; b++) u[b] = a * vs[b] + bb * vd[b] + k;
    }

    private void Activate(ReadOnlySpan<double> u, Span<double> t)
    {
        if (family == DeviceFamily.Tanh) TensorPrimitives.Tanh(u, t);
        else for (int b = 0; b < u.Length; b++) t[b] = Activations.Apply(family, u[b]);
    }
}
