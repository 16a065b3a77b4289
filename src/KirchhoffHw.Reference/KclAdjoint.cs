using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Reference;

/// <summary>
/// Parameter sensitivities of one layer's right-hand side, summed over every batch given to
/// <see cref="Kcl.Adjoint"/> with it. The fused kernel gathers them per term as sensitivities of the affine form
/// (A, B, C, Amplitude), four numbers whatever the law, each kept as one partial sum per vector lane (summing across
/// a vector on every call cost more than the rest of the kernel); <see cref="AddTo"/> adds the lanes up and maps them
/// onto the layer's parameters.
/// </summary>
public sealed class KclGradient
{
    internal readonly double[] Values;
    private readonly Kcl _kcl;

    internal bool BelongsTo(Kcl kcl) => ReferenceEquals(kcl, _kcl);

    internal KclGradient(Kcl kcl, int length)
    {
        _kcl = kcl;
        Values = new double[length];
    }

    /// <summary>Adds the gathered sensitivities to <paramref name="thetaGradient"/>, laid out like <see cref="Model.Layer.Theta"/>.</summary>
    public void AddTo(Span<double> thetaGradient) => _kcl.MapGradient(Values, thetaGradient);

    public void Clear() => Array.Clear(Values);
}

public sealed partial class Kcl
{
    [ThreadStatic] private static double[]? t_adjointScratch;

    /// <summary>An empty accumulator for <see cref="Adjoint"/>.</summary>
    public KclGradient NewGradient() => new(this, IsFused ? 4 * AccumulatorLanes * _terms.Length : _edgeMajorTheta.Length);

    /// <summary>Partial sums per affine-form sensitivity in the fused kernel's accumulators: one per lane of its vector.</summary>
    private int AccumulatorLanes => _wide ? Simd512.Count : SimdPortable.Count;

    /// <summary>
    /// Reverse mode of <see cref="Evaluate"/> for a batch: <paramref name="result"/> = J(state)^T adjoint on rows 1..N
    /// (the ground row is 0), and sum over the batch of adjoint^T df/dtheta added to <paramref name="gradient"/>, lanes
    /// summed in order so a given batch always adds the same bits. The adjoint's ground row must be 0. Trims do not
    /// enter: df/dtrim is the identity, which the caller accumulates itself.
    /// </summary>
    public void Adjoint(ReadOnlySpan<double> state, ReadOnlySpan<double> adjoint, Span<double> result, KclGradient gradient, int width)
    {
        int len = StateLength(width);
        if (width <= 0 || state.Length < len || adjoint.Length < len || result.Length < len)
            throw new ArgumentException($"state, adjoint and result need (nodes + 1) * width = {len} values for width {width}");
        if (!gradient.BelongsTo(this)) throw new ArgumentException("the gradient accumulator belongs to another right-hand side; use this one's NewGradient()", nameof(gradient));
        if (_lag > 0) LaggedAdjoint(state, adjoint, result, gradient.Values, width);
        else AdjointAt(state, adjoint, result, gradient.Values, width);
    }

    private void AdjointAt(ReadOnlySpan<double> state, ReadOnlySpan<double> adjoint, Span<double> result, double[] grad, int width)
    {
        result[..StateLength(width)].Clear();
        switch (_activation)
        {
            case Activation.Identity: FusedAdjoint<IdentityDerivative>(state, adjoint, result, grad, width); break;
            case Activation.Relu: FusedAdjoint<ReluDerivative>(state, adjoint, result, grad, width); break;
            case Activation.Leaky: FusedAdjoint<LeakyDerivative>(state, adjoint, result, grad, width); break;
            case Activation.Tanh: FusedAdjoint<TanhDerivative>(state, adjoint, result, grad, width); break;
            default: ModelAdjoint(state, adjoint, result, grad, width); break;
        }
        result[..width].Clear();
    }

    [ThreadStatic] private static double[]? t_lagAdjoint;

    /// <summary>
    /// Reverse mode of the lagged right-hand side f(u) + trims, u = v - lag f(v) (f the devices alone): with
    /// w = J(u)^T adjoint, the result is w - lag J(v)^T w and the parameters gather adjoint^T df/dtheta(u) -
    /// lag w^T df/dtheta(v); the trims enter once, undelayed, as in <see cref="Evaluate"/>.
    /// </summary>
    private void LaggedAdjoint(ReadOnlySpan<double> state, ReadOnlySpan<double> adjoint, Span<double> result, double[] grad, int width)
    {
        int len = StateLength(width);
        var buffer = Scratch(ref t_lagAdjoint, 2 * len);
        Span<double> seen = buffer.AsSpan(0, len), w = buffer.AsSpan(len, len);
        Seen(state, seen, width);
        AdjointAt(seen, adjoint, w, grad, width);
        // seen is free again: it carries -lag w into the second product
        TensorPrimitives.Multiply(w, -_lag, seen);
        AdjointAt(state, seen, result, grad, width);
        TensorPrimitives.Add(result[..len], w, result[..len]);
    }

    /// <summary>An activation with its derivative, the right-hand one at a kink (as <see cref="DeviceModel.Gradient"/>).</summary>
    private interface IActDerivative
    {
        static abstract TV Apply<TS, TV>(TV x, out TV derivative) where TS : ISimd<TV> where TV : struct;
        static abstract double Apply(double x, out double derivative);
    }

    private struct IdentityDerivative : IActDerivative
    {
        public static TV Apply<TS, TV>(TV x, out TV derivative) where TS : ISimd<TV> where TV : struct
        {
            derivative = TS.Create(1.0);
            return x;
        }
        public static double Apply(double x, out double derivative) { derivative = 1; return x; }
    }

    private struct ReluDerivative : IActDerivative
    {
        public static TV Apply<TS, TV>(TV x, out TV derivative) where TS : ISimd<TV> where TV : struct
        {
            derivative = TS.SelectPositive(x, TS.Create(1.0), TS.Create(0.0));
            return TS.SelectPositive(x, x, TS.Create(0.0));
        }
        public static double Apply(double x, out double derivative) { derivative = x > 0 ? 1 : 0; return x > 0 ? x : 0.0; }
    }

    private struct LeakyDerivative : IActDerivative
    {
        private const double Slope = Activations.LeakySlope;
        public static TV Apply<TS, TV>(TV x, out TV derivative) where TS : ISimd<TV> where TV : struct
        {
            derivative = TS.SelectPositive(x, TS.Create(1.0), TS.Create(Slope));
            return TS.SelectPositive(x, x, TS.Multiply(x, TS.Create(Slope)));
        }
        public static double Apply(double x, out double derivative) { derivative = x > 0 ? 1 : Slope; return x > 0 ? x : x * Slope; }
    }

    private struct TanhDerivative : IActDerivative
    {
        public static TV Apply<TS, TV>(TV x, out TV derivative) where TS : ISimd<TV> where TV : struct
        {
            var t = FastMath.Tanh<TS, TV>(x);
            derivative = TS.Fma(TS.Negate(t), t, TS.Create(1.0));
            return t;
        }
        public static double Apply(double x, out double derivative)
        {
            double t = Math.Tanh(x);
            derivative = Math.FusedMultiplyAdd(-t, t, 1.0);
            return t;
        }
    }

    private void FusedAdjoint<TAct>(ReadOnlySpan<double> state, ReadOnlySpan<double> adjoint, Span<double> result, double[] grad, int width)
        where TAct : struct, IActDerivative
    {
        if (_wide) FusedAdjoint<TAct, Simd512, Vector512<double>>(state, adjoint, result, grad, width);
        else FusedAdjoint<TAct, SimdPortable, Vector<double>>(state, adjoint, result, grad, width);
    }

    // I = S act(A vs + C vd + K) adds -I to src and +I to dst, so with w = u_dst - u_src the adjoint of a term is
    // w dI/dvs on src, w dI/dvd on dst, and w dI/d(A, C, K, S) for the form. Terms outermost, so each term's four
    // sensitivities are summed over the batch in registers and added to its partial sums once per call.
    private void FusedAdjoint<TAct, TS, TV>(ReadOnlySpan<double> state, ReadOnlySpan<double> adjoint, Span<double> result, double[] grad, int width)
        where TAct : struct, IActDerivative where TS : ISimd<TV> where TV : struct
    {
        int vc = TS.Count, vecEnd = width - width % vc, first = 0;
        ref double y = ref MemoryMarshal.GetReference(state);
        ref double u = ref MemoryMarshal.GetReference(adjoint);
        ref double g = ref MemoryArrayRef(grad);
        var scratch = AdjointScratch(2 * width);
        ref double gs = ref MemoryArrayRef(scratch);
        ref double gd = ref System.Runtime.CompilerServices.Unsafe.Add(ref gs, width);
        foreach (var run in _runs)
        {
            int termFirst = first;
            var terms = _terms.AsSpan(first, run.End - first);
            first = run.End;
            nuint so = (nuint)(run.Src * width), dso = (nuint)(run.Dst * width);
            scratch.AsSpan(0, 2 * width).Clear();
            for (int ti = 0; ti < terms.Length; ti++)
            {
                ref readonly var t = ref terms[ti];
                var (ta, tc, tk, ts) = (TS.Create(t.A), TS.Create(t.C), TS.Create(t.K), TS.Create(t.S));
                var (accA, accC, accK, accS) = (TS.Create(0.0), TS.Create(0.0), TS.Create(0.0), TS.Create(0.0));
                int b = 0;
                for (; b < vecEnd; b += vc)
                {
                    var vs = TS.Load(ref y, so + (nuint)b);
                    var vd = TS.Load(ref y, dso + (nuint)b);
                    var w = TS.Subtract(TS.Load(ref u, dso + (nuint)b), TS.Load(ref u, so + (nuint)b));
                    var act = TAct.Apply<TS, TV>(TS.Fma(ta, vs, TS.Fma(tc, vd, tk)), out var dact);
                    var c = TS.Multiply(TS.Multiply(w, ts), dact);
                    TS.Store(TS.Fma(c, ta, TS.Load(ref gs, (nuint)b)), ref gs, (nuint)b);
                    TS.Store(TS.Fma(c, tc, TS.Load(ref gd, (nuint)b)), ref gd, (nuint)b);
                    accA = TS.Fma(c, vs, accA);
                    accC = TS.Fma(c, vd, accC);
                    accK = TS.Add(c, accK);
                    accS = TS.Fma(w, act, accS);
                }
                nuint q = (nuint)(4 * vc * (termFirst + ti));
                TS.Store(TS.Add(TS.Load(ref g, q), accA), ref g, q);
                TS.Store(TS.Add(TS.Load(ref g, q + (nuint)vc), accC), ref g, q + (nuint)vc);
                TS.Store(TS.Add(TS.Load(ref g, q + (nuint)(2 * vc)), accK), ref g, q + (nuint)(2 * vc));
                TS.Store(TS.Add(TS.Load(ref g, q + (nuint)(3 * vc)), accS), ref g, q + (nuint)(3 * vc));
                for (; b < width; b++)
                {
                    double vs = Unsafe(ref y, so, b), vd = Unsafe(ref y, dso, b), w = Unsafe(ref u, dso, b) - Unsafe(ref u, so, b);
                    double act = TAct.Apply(Math.FusedMultiplyAdd(t.A, vs, Math.FusedMultiplyAdd(t.C, vd, t.K)), out double dact);
                    double c = w * t.S * dact;
                    Unsafe(ref gs, 0, b) += c * t.A;
                    Unsafe(ref gd, 0, b) += c * t.C;
                    Unsafe(ref g, q, 0) += c * vs;
                    Unsafe(ref g, q + (nuint)vc, 0) += c * vd;
                    Unsafe(ref g, q + (nuint)(2 * vc), 0) += c;
                    Unsafe(ref g, q + (nuint)(3 * vc), 0) += w * act;
                }
            }
            TensorPrimitives.Add(result.Slice((int)so, width), scratch.AsSpan(0, width), result.Slice((int)so, width));
            TensorPrimitives.Add(result.Slice((int)dso, width), scratch.AsSpan(width, width), result.Slice((int)dso, width));
        }
    }

    private static ref double MemoryArrayRef(double[] a) => ref MemoryMarshal.GetArrayDataReference(a);

    // The current out of the source pin enters the source node negated, so its weight is -u_src; the models add their
    // products straight into the result rows (a device from a node to itself adds both into the same row).
    private void ModelAdjoint(ReadOnlySpan<double> state, ReadOnlySpan<double> adjoint, Span<double> result, double[] grad, int width)
    {
        var model = Layer.Model;
        var edges = Layer.Edges;
        int pc = model.ParameterCount, len = StateLength(width);
        var scratch = AdjointScratch(len + pc * width);
        Span<double> negated = scratch.AsSpan(0, len), gP = scratch.AsSpan(len, pc * width);
        TensorPrimitives.Negate(adjoint[..len], negated);
        var terms = PrepareNodes(model, state, width);
        for (int e = 0; e < edges.Count; e++)
        {
            int s = edges.Source[e] * width, d = edges.Destination[e] * width;
            gP.Clear();
            if (terms is not null)
                model.PinAdjoint(terms, edges.Source[e], edges.Destination[e], _edgeMajorTheta.AsSpan(e * pc, pc),
                    negated.Slice(s, width), adjoint.Slice(d, width), result.Slice(s, width), result.Slice(d, width), gP);
            else
                model.PinAdjoint(state.Slice(s, width), state.Slice(d, width), _edgeMajorTheta.AsSpan(e * pc, pc),
                    negated.Slice(s, width), adjoint.Slice(d, width), result.Slice(s, width), result.Slice(d, width), gP);
            for (int k = 0; k < pc; k++) grad[e * pc + k] += TensorPrimitives.Sum<double>(gP.Slice(k * width, width));
        }
    }

    /// <summary>Gathered sensitivities (fused: per term dA, dC, dK, dS; generic: edge-major per parameter) onto Theta's layout.</summary>
    internal void MapGradient(double[] values, Span<double> thetaGradient)
    {
        var model = Layer.Model;
        int pc = model.ParameterCount, n = Layer.Edges.Count;
        if (thetaGradient.Length != pc * n)
            throw new ArgumentException($"the layer has {pc * n} parameters, the gradient {thetaGradient.Length} values");
        if (!IsFused)
        {
            for (int e = 0; e < n; e++)
                for (int k = 0; k < pc; k++) thetaGradient[k * n + e] += values[e * pc + k];
            return;
        }
        Span<double> jac = stackalloc double[4 * pc], form = stackalloc double[4];
        int lanes = AccumulatorLanes;
        for (int i = 0; i < _termEdge.Length; i++)
        {
            int e = _termEdge[i];
            for (int q = 0; q < 4; q++)
            {
                double sum = 0;
                foreach (var v in values.AsSpan((4 * i + q) * lanes, lanes)) sum += v;
                form[q] = sum;
            }
            model.AffineJacobian(_edgeMajorTheta.AsSpan(e * pc, pc), jac);
            for (int k = 0; k < pc; k++)
            {
                double sum = 0;
                for (int q = 0; q < 4; q++) sum += form[q] * jac[q * pc + k];
                thetaGradient[k * n + e] += sum;
            }
        }
    }

    private static double[] AdjointScratch(int length)
    {
        if (t_adjointScratch is null || t_adjointScratch.Length < length) t_adjointScratch = new double[length];
        return t_adjointScratch;
    }
}
