using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Reference;

/// <summary>
/// The right-hand side of one layer: dv_k/dt = (sum of device currents into k - sum out of k + trim_k) / C, C = 1 in
/// model units, trim_k the design's optional node trim (<see cref="Design.NodeTrims"/>). A batch of <c>width</c> samples is stored node-major with the batch contiguous,
/// <c>state[node * width + b]</c>, node 0 being ground, so every device works on contiguous spans.
/// Immutable after construction and safe to share between threads.
/// </summary>
public sealed partial class Kcl
{
    /// <summary>
    /// Every built-in law is act(A * vs + C * vd + K) * S. Lowering them to that one form lets a single fused
    /// loop (one pass over the edges, no virtual call per edge) serve all of them; on mnist the virtual
    /// per-edge kernel call alone costs more than the arithmetic.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Term(double A, double C, double K, double S);

    /// <summary>
    /// Terms [previous End, End) all sit between Src and Dst. Their currents are summed in a register and
    /// added to the two nodes once: twomoon's 300 devices share 6 node pairs, mnist's overlapping windows
    /// repeat pixel pairs.
    /// </summary>
    private readonly record struct Run(int Src, int Dst, int End);

    private enum Activation { Generic, Identity, Relu, Leaky, Tanh }

    private readonly Term[] _terms;
    private readonly Run[] _runs;
    private readonly Activation _activation;
    private readonly double[] _edgeMajorTheta;
    /// <summary>The edge of each term (terms are in node-pair order).</summary>
    private readonly int[] _termEdge;
    private readonly double[]? _trims;

    private readonly bool _wide;

    [ThreadStatic] private static double[]? t_scratch;
    [ThreadStatic] private static double[]? t_lagged;
    [ThreadStatic] private static PinNodeTerms? t_terms;

    /// <summary>Model time units by which the devices see the node voltages late (0: at once): the layer's device model's own
    /// (<see cref="DeviceModel.InputLag"/>) unless <see cref="Lagged"/> sets another.</summary>
    private double _lag;

    private static readonly bool PreferWide = Vector512.IsHardwareAccelerated && Vector512<double>.Count > Vector<double>.Count;

    /// <summary>
    /// Lanes of the fused loop's vector. Batch widths that are a multiple of it never reach the scalar tail,
    /// whose Math.Tanh differs in the last bits from the vector tanh.
    /// </summary>
    public static int LaneMultiple { get; } = PreferWide ? Simd512.Count : SimdPortable.Count;

    public Layer Layer { get; }
    public int NodeCount { get; }

    /// <summary>True when the edges run through the fused lowered loop rather than the model's own batched kernel.</summary>
    public bool IsFused => _activation != Activation.Generic;

    /// <param name="useModelKernel">Force the model's own <see cref="DeviceModel.Current(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double})"/> per edge (any subclass; tests compare both paths).</param>
    public Kcl(Layer layer, int nodeCount, bool useModelKernel = false) : this(layer, nodeCount, useModelKernel, PreferWide) { }

    /// <param name="nodeTrims">Per-node trim currents (index 0 is node 1), or null for none.</param>
    public Kcl(Layer layer, int nodeCount, double[]? nodeTrims, bool useModelKernel = false) : this(layer, nodeCount, useModelKernel, PreferWide, nodeTrims) { }

    /// <param name="wide">Run the fused loop on 512-bit vectors rather than Vector&lt;double&gt; (tests compare both).</param>
    internal Kcl(Layer layer, int nodeCount, bool useModelKernel, bool wide, double[]? nodeTrims = null)
    {
        if (nodeTrims is not null && nodeTrims.Length != nodeCount)
            throw new ArgumentException($"node trims have {nodeTrims.Length} values but the design has {nodeCount} nodes", nameof(nodeTrims));
        _trims = nodeTrims is null ? null : (double[])nodeTrims.Clone();
        _wide = wide;
        CheckLag(layer.Model.InputLag);
        _lag = layer.Model.InputLag;
        Layer = layer;
        NodeCount = nodeCount;
        var edges = layer.Edges;
        for (int e = 0; e < edges.Count; e++)
            if ((uint)edges.Source[e] > (uint)nodeCount || (uint)edges.Destination[e] > (uint)nodeCount)
                throw new ArgumentException($"edge {e} ({edges.Source[e]} -> {edges.Destination[e]}) is outside nodes 0..{nodeCount}");

        int pc = layer.Model.ParameterCount, n = edges.Count;
        _edgeMajorTheta = new double[pc * n];
        for (int i = 0; i < pc; i++)
        {
            var row = layer.ParameterRow(i);
            for (int e = 0; e < n; e++) _edgeMajorTheta[e * pc + i] = row[e];
        }

        // Any law of the affine form runs fused; everything else (fitted cell tables, pin-level cells) calls its own kernel.
        _activation = useModelKernel || !layer.Model.HasAffineForm || layer.Model.IsPinLevel ? Activation.Generic : layer.Model.Family switch
        {
            DeviceFamily.Tanh => Activation.Tanh,
            DeviceFamily.Relu => Activation.Relu,
            DeviceFamily.LeakyRelu => Activation.Leaky,
            _ => Activation.Identity,
        };
        // Sorted by node pair (stably, so a pair's devices keep their order) to make each pair one run.
        var order = Enumerable.Range(0, _activation == Activation.Generic ? 0 : n)
            .OrderBy(e => edges.Source[e]).ThenBy(e => edges.Destination[e]).ToArray();
        _termEdge = order;
        _terms = new Term[order.Length];
        var runs = new List<Run>();
        for (int i = 0; i < order.Length; i++)
        {
            int e = order[i];
            var f = layer.Model.Affine(_edgeMajorTheta.AsSpan(e * pc, pc));
            var (a, c, k, s) = (f.A, f.B, f.C, f.Amplitude);
            _terms[i] = new Term(a, c, k, s);
            if (runs.Count > 0 && runs[^1].Src == edges.Source[e] && runs[^1].Dst == edges.Destination[e]) runs[^1] = runs[^1] with { End = i + 1 };
            else runs.Add(new Run(edges.Source[e], edges.Destination[e], i + 1));
        }
        _runs = [.. runs];
    }

    /// <summary>
    /// This right-hand side with every device seeing the node voltages through a first-order lag of
    /// <paramref name="lag"/> model time units, as a cell whose input and output stages settle with that time constant:
    /// to first order in the lag the devices see u = v - lag * dv/dt, so f_lag(v) = f(v - lag * f(v)). First order
    /// keeps the system as stiff as the ideal one (an explicit lag state would add a pole at -1/lag); it holds while
    /// the lag is small against the design's fastest time constant, the regime where a lag budget is decided.
    /// </summary>
    /// <remarks>Replaces the model's own lag (<see cref="DeviceModel.InputLag"/>); 0 solves the law as if it settled at once.</remarks>
    public Kcl Lagged(double lag)
    {
        CheckLag(lag);
        var copy = (Kcl)MemberwiseClone();
        copy._lag = lag;
        return copy;
    }

    internal static void CheckLag(double lag)
    {
        if (!(lag >= 0) || double.IsInfinity(lag)) throw new ArgumentOutOfRangeException(nameof(lag), lag, "a lag is a finite number of time units >= 0");
    }

    /// <summary>Values in one batch state: (NodeCount + 1) * width.</summary>
    public int StateLength(int width) => (NodeCount + 1) * width;

    /// <summary>
    /// derivative = f(state) for a batch of <paramref name="width"/> samples. The ground row of the result is 0;
    /// when <paramref name="groundInflow"/> is given it receives, per sample, the net current the devices push
    /// into ground (what KCL makes equal to minus the sum of all node derivatives).
    /// </summary>
    public void Evaluate(ReadOnlySpan<double> state, Span<double> derivative, int width, Span<double> groundInflow = default)
    {
        int len = StateLength(width);
        if (width <= 0 || state.Length < len || derivative.Length < len)
            throw new ArgumentException($"state and derivative need (nodes + 1) * width = {len} values for width {width}");
        if (!groundInflow.IsEmpty && groundInflow.Length < width)
            throw new ArgumentException($"groundInflow needs {width} values");
        if (_lag > 0)
        {
            var seen = Scratch(ref t_lagged, len).AsSpan(0, len);
            Seen(state, seen, width);
            EvaluateAt(seen, derivative, width, groundInflow);
        }
        else EvaluateAt(state, derivative, width, groundInflow);
    }

    /// <summary>What the lagging devices see: v - lag f(v), f the devices alone (the ground row of f is 0, so ground stays at 0 V).</summary>
    private void Seen(ReadOnlySpan<double> state, Span<double> seen, int width)
    {
        EvaluateAt(state, seen, width, default, trims: false);
        TensorPrimitives.MultiplyAdd(seen, -_lag, state[..StateLength(width)], seen);
    }

    /// <param name="trims">False for the lag's own estimate of dv/dt: a trim is a small constant current (calibration
    /// bounds it to 5 % of its node's device currents) whose share of what the cells see, lag x trim, is left out, which
    /// keeps d f / d trim the identity the sensitivities take it to be.</param>
    private void EvaluateAt(ReadOnlySpan<double> state, Span<double> derivative, int width, Span<double> groundInflow, bool trims = true)
    {
        int len = StateLength(width);
        derivative[..len].Clear();
        switch (_activation)
        {
            case Activation.Identity: Fused<IdentityAct>(state, derivative, width); break;
            case Activation.Relu: Fused<ReluAct>(state, derivative, width); break;
            case Activation.Leaky: Fused<LeakyAct>(state, derivative, width); break;
            case Activation.Tanh: Fused<TanhAct>(state, derivative, width); break;
            default: ModelKernel(state, derivative, width); break;
        }
        if (trims && _trims is not null) AddTrims(derivative, width);
        if (!groundInflow.IsEmpty) derivative[..width].CopyTo(groundInflow);
        derivative[..width].Clear();
    }

    /// <summary>Each trim is a source from ground into its node, so ground gives up what the nodes receive.</summary>
    private void AddTrims(Span<double> derivative, int width)
    {
        double total = 0;
        for (int k = 0; k < _trims!.Length; k++)
        {
            TensorPrimitives.Add(derivative.Slice((k + 1) * width, width), _trims[k], derivative.Slice((k + 1) * width, width));
            total += _trims[k];
        }
        TensorPrimitives.Subtract(derivative[..width], total, derivative[..width]);
    }

    private interface IAct
    {
        static abstract TV Apply<TS, TV>(TV x) where TS : ISimd<TV> where TV : struct;
        static abstract double Apply(double x);
    }

    private struct IdentityAct : IAct
    {
        public static TV Apply<TS, TV>(TV x) where TS : ISimd<TV> where TV : struct => x;
        public static double Apply(double x) => x;
    }

    private struct ReluAct : IAct
    {
        public static TV Apply<TS, TV>(TV x) where TS : ISimd<TV> where TV : struct => TS.SelectPositive(x, x, TS.Create(0.0));
        public static double Apply(double x) => x > 0 ? x : 0.0;
    }

    private struct LeakyAct : IAct
    {
        private const double Slope = Activations.LeakySlope;
        public static TV Apply<TS, TV>(TV x) where TS : ISimd<TV> where TV : struct => TS.SelectPositive(x, x, TS.Multiply(x, TS.Create(Slope)));
        public static double Apply(double x) => x > 0 ? x : x * Slope;
    }

    private struct TanhAct : IAct
    {
        public static TV Apply<TS, TV>(TV x) where TS : ISimd<TV> where TV : struct => FastMath.Tanh<TS, TV>(x);
        public static double Apply(double x) => Math.Tanh(x);
    }

    private void Fused<TAct>(ReadOnlySpan<double> state, Span<double> derivative, int width) where TAct : struct, IAct
    {
        if (_wide) Fused<TAct, Simd512, Vector512<double>>(state, derivative, width);
        else Fused<TAct, SimdPortable, Vector<double>>(state, derivative, width);
    }

    // Bounds were checked once: every Src/Dst is in 0..NodeCount and both spans hold (NodeCount + 1) * width.
    private void Fused<TAct, TS, TV>(ReadOnlySpan<double> state, Span<double> derivative, int width)
        where TAct : struct, IAct where TS : ISimd<TV> where TV : struct
    {
        int vc = TS.Count, vecEnd = width - width % vc, first = 0;
        ref double y = ref MemoryMarshal.GetReference(state);
        ref double d = ref MemoryMarshal.GetReference(derivative);
        foreach (var run in _runs)
        {
            var terms = _terms.AsSpan(first, run.End - first);
            first = run.End;
            nuint so = (nuint)(run.Src * width), dst = (nuint)(run.Dst * width);
            int b = 0;
            for (; b < vecEnd; b += vc)
            {
                var vs = TS.Load(ref y, so + (nuint)b);
                var vd = TS.Load(ref y, dst + (nuint)b);
                var sum = TS.Create(0.0);
                foreach (ref readonly var t in terms)
                    sum = TS.Fma(TAct.Apply<TS, TV>(TS.Fma(TS.Create(t.A), vs, TS.Fma(TS.Create(t.C), vd, TS.Create(t.K)))), TS.Create(t.S), sum);
                TS.Store(TS.Subtract(TS.Load(ref d, so + (nuint)b), sum), ref d, so + (nuint)b);
                TS.Store(TS.Add(TS.Load(ref d, dst + (nuint)b), sum), ref d, dst + (nuint)b);
            }
            for (; b < width; b++)
            {
                double vs = Unsafe(ref y, so, b), vd = Unsafe(ref y, dst, b), sum = 0;
                foreach (ref readonly var t in terms)
                    sum = Math.FusedMultiplyAdd(TAct.Apply(Math.FusedMultiplyAdd(t.A, vs, Math.FusedMultiplyAdd(t.C, vd, t.K))), t.S, sum);
                Unsafe(ref d, so, b) -= sum;
                Unsafe(ref d, dst, b) += sum;
            }
        }
    }

    private static ref double Unsafe(ref double origin, nuint row, int b) =>
        ref System.Runtime.CompilerServices.Unsafe.Add(ref origin, row + (nuint)b);

    private void ModelKernel(ReadOnlySpan<double> state, Span<double> derivative, int width)
    {
        var model = Layer.Model;
        var edges = Layer.Edges;
        int pc = model.ParameterCount;
        var scratch = Scratch(2 * width);
        Span<double> current = scratch.AsSpan(0, width), into = scratch.AsSpan(width, width);
        bool pins = model.IsPinLevel;
        var terms = pins ? PrepareNodes(model, state, width) : null;
        for (int e = 0; e < edges.Count; e++)
        {
            int s = edges.Source[e] * width, d = edges.Destination[e] * width;
            var p = _edgeMajorTheta.AsSpan(e * pc, pc);
            if (terms is not null) model.PinCurrents(terms, edges.Source[e], edges.Destination[e], p, current, into);
            else if (pins) model.PinCurrents(state.Slice(s, width), state.Slice(d, width), p, current, into);
            else model.Current(state.Slice(s, width), state.Slice(d, width), p, current);
            TensorPrimitives.Subtract(derivative.Slice(s, width), current, derivative.Slice(s, width));
            TensorPrimitives.Add(derivative.Slice(d, width), pins ? into : current, derivative.Slice(d, width));
        }
    }

    /// <summary>The model's shared node terms for this state in this thread's buffer, or null when it has none.</summary>
    private PinNodeTerms? PrepareNodes(DeviceModel model, ReadOnlySpan<double> state, int width)
    {
        var terms = model.PrepareNodes(state[..StateLength(width)], width, t_terms);
        if (terms is not null) t_terms = terms;
        return terms;
    }

    private static double[] Scratch(int length) => Scratch(ref t_scratch, length);

    /// <summary>This thread's buffer in <paramref name="slot"/>, grown to at least <paramref name="length"/>.</summary>
    private static double[] Scratch(ref double[]? slot, int length)
    {
        if (slot is null || slot.Length < length) slot = new double[length];
        return slot;
    }
}
