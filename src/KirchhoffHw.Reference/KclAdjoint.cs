using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Reference;

/// <summary>
/// Parameter sensitivities of one layer's right-hand side, summed over every batch given to
/// <see cref="Kcl.Adjoint"/> with it. The fused kernel gathers them per term as sensitivities of the affine form
/// (A, B, C, Amplitude), four numbers whatever the law; <see cref="AddTo"/> maps them onto the layer's parameters.
/// </summary>
public sealed class KclGradient
{
    internal readonly double[] Values;
    private readonly Kcl _kcl;

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
    public KclGradient NewGradient() => new(this, IsFused ? 4 * _terms.Length : _edgeMajorTheta.Length);

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
        result[..len].Clear();
        switch (_activation)
        {
            case Activation.Identity: FusedAdjoint<IdentityDerivative>(state, adjoint, result, gradient.Values, width); break;
            case Activation.Relu: FusedAdjoint<ReluDerivative>(state, adjoint, result, gradient.Values, width); break;
            case Activation.Leaky: FusedAdjoint<LeakyDerivative>(state, adjoint, result, gradient.Values, width); break;
            case Activation.Tanh: FusedAdjoint<TanhDerivative>(state, adjoint, result, gradient.Values, width); break;
            default: ModelAdjoint(state, adjoint, result, gradient.Values, width); break;
        }
        result[..width].Clear();
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
    // sensitivities are summed over the batch in registers and stored once per call.
    private void FusedAdjoint<TAct, TS, TV>(ReadOnlySpan<double> state, ReadOnlySpan<double> adjoint, Span<double> result, double[] grad, int width)
        where TAct : struct, IActDerivative where TS : ISimd<TV> where TV : struct
    {
        int vc = TS.Count, vecEnd = width - width % vc, first = 0;
        ref double y = ref MemoryMarshal.GetReference(state);
        ref double u = ref MemoryMarshal.GetReference(adjoint);
        ref double r = ref MemoryMarshal.GetReference(result);
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
                double sA = TS.Sum(accA), sC = TS.Sum(accC), sK = TS.Sum(accK), sS = TS.Sum(accS);
                for (; b < width; b++)
                {
                    double vs = Unsafe(ref y, so, b), vd = Unsafe(ref y, dso, b), w = Unsafe(ref u, dso, b) - Unsafe(ref u, so, b);
                    double act = TAct.Apply(Math.FusedMultiplyAdd(t.A, vs, Math.FusedMultiplyAdd(t.C, vd, t.K)), out double dact);
                    double c = w * t.S * dact;
                    Unsafe(ref gs, 0, b) += c * t.A;
                    Unsafe(ref gd, 0, b) += c * t.C;
                    sA += c * vs; sC += c * vd; sK += c; sS += w * act;
                }
                ref double q = ref System.Runtime.CompilerServices.Unsafe.Add(ref g, 4 * (termFirst + ti));
                q += sA;
                System.Runtime.CompilerServices.Unsafe.Add(ref q, 1) += sC;
                System.Runtime.CompilerServices.Unsafe.Add(ref q, 2) += sK;
                System.Runtime.CompilerServices.Unsafe.Add(ref q, 3) += sS;
            }
            TensorPrimitives.Add(result.Slice((int)so, width), scratch.AsSpan(0, width), result.Slice((int)so, width));
            TensorPrimitives.Add(result.Slice((int)dso, width), scratch.AsSpan(width, width), result.Slice((int)dso, width));
        }
    }

    private static ref double MemoryArrayRef(double[] a) => ref MemoryMarshal.GetArrayDataReference(a);

    private void ModelAdjoint(ReadOnlySpan<double> state, ReadOnlySpan<double> adjoint, Span<double> result, double[] grad, int width)
    {
        var model = Layer.Model;
        var edges = Layer.Edges;
        int pc = model.ParameterCount;
        var scratch = AdjointScratch((3 + pc) * width);
        Span<double> weightOut = scratch.AsSpan(0, width), gVs = scratch.AsSpan(width, width), gVd = scratch.AsSpan(2 * width, width),
            gP = scratch.AsSpan(3 * width, pc * width);
        for (int e = 0; e < edges.Count; e++)
        {
            int s = edges.Source[e] * width, d = edges.Destination[e] * width;
            TensorPrimitives.Negate(adjoint.Slice(s, width), weightOut);
            gVs.Clear(); gVd.Clear(); gP.Clear();
            model.PinAdjoint(state.Slice(s, width), state.Slice(d, width), _edgeMajorTheta.AsSpan(e * pc, pc),
                weightOut, adjoint.Slice(d, width), gVs, gVd, gP);
            TensorPrimitives.Add(result.Slice(s, width), gVs, result.Slice(s, width));
            TensorPrimitives.Add(result.Slice(d, width), gVd, result.Slice(d, width));
            for (int k = 0; k < pc; k++)
            {
                double sum = 0;
                foreach (var v in gP.Slice(k * width, width)) sum += v;
                grad[e * pc + k] += sum;
            }
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
        Span<double> jac = stackalloc double[4 * pc];
        for (int i = 0; i < _termEdge.Length; i++)
        {
            int e = _termEdge[i];
            model.AffineJacobian(_edgeMajorTheta.AsSpan(e * pc, pc), jac);
            for (int k = 0; k < pc; k++)
            {
                double sum = 0;
                for (int q = 0; q < 4; q++) sum += values[4 * i + q] * jac[q * pc + k];
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
