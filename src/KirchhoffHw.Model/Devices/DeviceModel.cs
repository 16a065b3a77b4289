using System.Numerics;

namespace KirchhoffHw.Model.Devices;

/// <summary>
/// The activation of a law: for the built-in models I = Amplitude * act(A*vs + B*vd + C) (<see cref="AffineForm"/>).
/// It decides which transistor cell can realize the law and which fused kernel the reference runs.
/// </summary>
public enum DeviceFamily { Tanh, Relu, LeakyRelu, Linear }

/// <summary>A parameter column read as I = Amplitude * act(A*vs + B*vd + C), act the model's <see cref="DeviceFamily"/>.</summary>
public readonly record struct AffineForm(double A, double B, double C, double Amplitude);

public static class Activations
{
    /// <summary>Negative slope of the leaky ReLU (PyTorch's default, as the authors train with it).</summary>
    public const double LeakySlope = 0.01;

    public static double Apply(DeviceFamily family, double x) => family switch
    {
        DeviceFamily.Tanh => Math.Tanh(x),
        DeviceFamily.Relu => x > 0 ? x : 0.0,
        DeviceFamily.LeakyRelu => x > 0 ? x : LeakySlope * x,
        _ => x,
    };

    /// <summary>d act / dx; at a kink the derivative for x &gt; 0 is used only when x &gt; 0 (as <see cref="DeviceModel.Gradient"/>).</summary>
    public static double Derivative(DeviceFamily family, double x) => family switch
    {
        DeviceFamily.Tanh => 1 - Math.Tanh(x) * Math.Tanh(x),
        DeviceFamily.Relu => x > 0 ? 1.0 : 0.0,
        DeviceFamily.LeakyRelu => x > 0 ? 1.0 : LeakySlope,
        _ => 1.0,
    };
}

/// <summary>
/// A learnable two-terminal device: current I = g(vs, vd; theta) flowing from source to destination, in model
/// units. A new device model is one subclass: its law (for codegen), its scalar current and gradient (for
/// solvers and tests) and its batched kernel (for the reference's hot loop), then one line in
/// <see cref="DeviceModels"/>.
/// </summary>
public abstract class DeviceModel
{
    /// <summary>The authors' class name, as `network.model.name` spells it.</summary>
    public abstract string Name { get; }
    public abstract string Equation { get; }
    public abstract IReadOnlyList<string> ParameterNames { get; }
    public int ParameterCount => ParameterNames.Count;
    public abstract DeviceFamily Family { get; }

    /// <summary>True when g depends on vs - vd only (the "1" variants): parallel devices on one node pair merge.</summary>
    public abstract bool DependsOnDifferenceOnly { get; }

    /// <summary>
    /// For laws that are piecewise linear in x = vs - vd: the x positions of their kinks (empty for a line).
    /// Null for any other law. Parallel devices of such a law on one node pair sum to a single exact
    /// piecewise-linear function, which generators can emit as one table instead of one source per device.
    /// </summary>
    public virtual double[]? Kinks(ReadOnlySpan<double> p) => null;

    /// <summary>The law as an expression tree, rendered by every generator dialect.</summary>
    public abstract Expr Law { get; }

    public abstract double Current(double vs, double vd, ReadOnlySpan<double> p);

    /// <summary>(dI/dvs, dI/dvd). At a ReLU kink the right-hand derivative is taken (the derivative for x &gt; 0 is used only when x &gt; 0).</summary>
    public abstract (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p);

    /// <summary>
    /// Batched kernel: current[b] = g(vs[b], vd[b]; p) for one device over a batch of samples. The reference
    /// calls it once per edge with the batch contiguous, so it must be SIMD-friendly and allocation-free.
    /// </summary>
    public virtual void Current(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p, Span<double> current)
    {
        for (int b = 0; b < current.Length; b++) current[b] = Current(vs[b], vd[b], p);
    }

    /// <summary>
    /// True when every parameter column reads as <see cref="Affine"/>: then the reference's fused kernel and the cell
    /// library lower the law from that form alone, with no knowledge of the model's type.
    /// </summary>
    public virtual bool HasAffineForm => false;

    /// <summary>The law of parameter column <paramref name="p"/> as Amplitude * act(A*vs + B*vd + C); only when <see cref="HasAffineForm"/>.</summary>
    public virtual AffineForm Affine(ReadOnlySpan<double> p) =>
        throw new NotSupportedException($"device model {Name} is not of the form amplitude * act(a*vs + b*vd + c)");

    /// <summary>
    /// d(A, B, C, Amplitude)/dp of <see cref="Affine"/> at <paramref name="p"/>, row-major 4 x <see cref="ParameterCount"/>
    /// (row 0 dA/dp, 1 dB/dp, 2 dC/dp, 3 dAmplitude/dp): the adjoint's fused kernel gathers sensitivities of the four
    /// form values and maps them to parameters with it. Built-in laws override it exactly; this fallback is a central
    /// difference of <see cref="Affine"/>.
    /// </summary>
    public virtual void AffineJacobian(ReadOnlySpan<double> p, Span<double> jacobian)
    {
        int n = p.Length;
        Span<double> q = stackalloc double[n];
        p.CopyTo(q);
        for (int k = 0; k < n; k++)
        {
            double h = 1e-6 * Math.Max(1, Math.Abs(p[k]));
            q[k] = p[k] + h; var up = Affine(q);
            q[k] = p[k] - h; var down = Affine(q);
            q[k] = p[k];
            jacobian[0 * n + k] = (up.A - down.A) / (2 * h);
            jacobian[1 * n + k] = (up.B - down.B) / (2 * h);
            jacobian[2 * n + k] = (up.C - down.C) / (2 * h);
            jacobian[3 * n + k] = (up.Amplitude - down.Amplitude) / (2 * h);
        }
    }

    /// <summary>
    /// dI/dp_k for every parameter k (<paramref name="dIdp"/> has <see cref="ParameterCount"/> values), the sensitivity
    /// the adjoint needs. Built-in laws override it exactly; this fallback is a central difference for models that do not.
    /// </summary>
    public virtual void ParameterGradient(double vs, double vd, ReadOnlySpan<double> p, Span<double> dIdp)
    {
        Span<double> q = stackalloc double[p.Length];
        p.CopyTo(q);
        for (int k = 0; k < p.Length; k++)
        {
            double h = 1e-6 * Math.Max(1, Math.Abs(p[k]));
            q[k] = p[k] + h; double up = Current(vs, vd, q);
            q[k] = p[k] - h; double down = Current(vs, vd, q);
            q[k] = p[k];
            dIdp[k] = (up - down) / (2 * h);
        }
    }

    /// <summary>
    /// True when the device's two pins carry different currents (a real cell: mirror mismatch, output conductance
    /// that depends on each pin's own voltage). KCL then takes <see cref="PinCurrents(double, double, ReadOnlySpan{double})"/>
    /// out of the source node and into the destination node instead of one current.
    /// </summary>
    public virtual bool IsPinLevel => false;

    /// <summary>
    /// Model time units by which the device sees its nodes' voltages late: 0 for a law, the settling of a cell's
    /// drivers and stages for a cell model that knows it. The reference solves it as a first-order lag (Kcl.Lagged).
    /// </summary>
    public virtual double InputLag => 0;

    /// <summary>
    /// The pin currents as laws (out of the source pin, into the destination pin) for a pin-level model that a deck can
    /// write: each pin a current source of its own. Null for two-terminal laws and for software-only pin models.
    /// </summary>
    public virtual (Expr OutOfSource, Expr IntoDestination)? PinLaws => null;

    /// <summary>(current out of the source pin, current into the destination pin); a two-terminal law has one current.</summary>
    public virtual (double OutOfSource, double IntoDestination) PinCurrents(double vs, double vd, ReadOnlySpan<double> p)
    {
        double i = Current(vs, vd, p);
        return (i, i);
    }

    /// <summary>Batched <see cref="PinCurrents(double, double, ReadOnlySpan{double})"/>, for the reference's generic kernel.</summary>
    public virtual void PinCurrents(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p, Span<double> outOfSource, Span<double> intoDestination)
    {
        for (int b = 0; b < outOfSource.Length; b++) (outOfSource[b], intoDestination[b]) = PinCurrents(vs[b], vd[b], p);
    }

    /// <summary>Jacobian of the pin currents: d(out of source)/d(vs, vd) and d(into destination)/d(vs, vd).</summary>
    public virtual (double SrcDVs, double SrcDVd, double DstDVs, double DstDVd) PinGradient(double vs, double vd, ReadOnlySpan<double> p)
    {
        var (dvs, dvd) = Gradient(vs, vd, p);
        return (dvs, dvd, dvs, dvd);
    }

    /// <summary>Parameter sensitivities of the pin currents (each span has <see cref="ParameterCount"/> values).</summary>
    public virtual void PinParameterGradient(double vs, double vd, ReadOnlySpan<double> p, Span<double> outOfSource, Span<double> intoDestination)
    {
        ParameterGradient(vs, vd, p, outOfSource);
        outOfSource.CopyTo(intoDestination);
    }

    /// <summary>
    /// Batched reverse-mode product of the pin currents, the adjoint's kernel for laws the fused loop does not cover.
    /// With w_out[b] and w_in[b] the adjoint weights of sample b's current out of the source pin and into the
    /// destination pin, adds w_out dI_out/dx + w_in dI_in/dx to <paramref name="gradVs"/>[b] (x = vs),
    /// <paramref name="gradVd"/>[b] (x = vd) and <paramref name="gradP"/>[k * n + b] (x = p_k, n samples). This fallback
    /// calls <see cref="PinGradient"/> and <see cref="PinParameterGradient"/> per sample; a model on a hot path overrides it.
    /// </summary>
    public virtual void PinAdjoint(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p,
        ReadOnlySpan<double> weightOut, ReadOnlySpan<double> weightIn, Span<double> gradVs, Span<double> gradVd, Span<double> gradP)
    {
        int n = vs.Length, pc = p.Length;
        Span<double> dOut = stackalloc double[pc], dIn = stackalloc double[pc];
        for (int b = 0; b < n; b++)
        {
            double wo = weightOut[b], wi = weightIn[b];
            if (wo == 0 && wi == 0) continue;
            var (sVs, sVd, dVs, dVd) = PinGradient(vs[b], vd[b], p);
            gradVs[b] += wo * sVs + wi * dVs;
            gradVd[b] += wo * sVd + wi * dVd;
            PinParameterGradient(vs[b], vd[b], p, dOut, dIn);
            for (int k = 0; k < pc; k++) gradP[k * n + b] += wo * dOut[k] + wi * dIn[k];
        }
    }

    /// <summary>
    /// Node-level work a pin-level model's devices share (what each node's voltage means to every cell on it), done once
    /// per node and sample before the layer's devices run: a layer of many devices on few nodes otherwise repeats it per
    /// device. Null (the default) when the model has none; then the kernels take the per-device spans.
    /// <paramref name="state"/> is node-major, <paramref name="width"/> samples per node; <paramref name="reuse"/> is a
    /// previous result of this call on the same thread, refilled when it fits.
    /// </summary>
    public virtual PinNodeTerms? PrepareNodes(ReadOnlySpan<double> state, int width, PinNodeTerms? reuse) => null;

    /// <summary><see cref="PinCurrents(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, Span{double})"/> from prepared node terms.</summary>
    public virtual void PinCurrents(PinNodeTerms terms, int source, int destination, ReadOnlySpan<double> p, Span<double> outOfSource, Span<double> intoDestination) =>
        throw new NotSupportedException($"{Name} prepares no node terms");

    /// <summary><see cref="PinAdjoint(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, Span{double}, Span{double})"/> from prepared node terms.</summary>
    public virtual void PinAdjoint(PinNodeTerms terms, int source, int destination, ReadOnlySpan<double> p,
        ReadOnlySpan<double> weightOut, ReadOnlySpan<double> weightIn, Span<double> gradVs, Span<double> gradVd, Span<double> gradP) =>
        throw new NotSupportedException($"{Name} prepares no node terms");

    public override string ToString() => Name;

    /// <summary>dest[b] = a * x[b] + c * y[b] + k, vectorized.</summary>
    protected static void Affine(ReadOnlySpan<double> x, double a, ReadOnlySpan<double> y, double c, double k, Span<double> dest)
    {
        int n = dest.Length, b = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var va = new Vector<double>(a); var vc = new Vector<double>(c); var vk = new Vector<double>(k);
            for (; b <= n - Vector<double>.Count; b += Vector<double>.Count)
                (va * new Vector<double>(x[b..]) + vc * new Vector<double>(y[b..]) + vk).CopyTo(dest[b..]);
        }
        for (; b < n; b++) dest[b] = a * x[b] + c * y[b] + k;
    }

    /// <summary>dest[b] = scale * (x[b] &gt; 0 ? x[b] : leak * x[b]), vectorized; leak 0 is ReLU.</summary>
    protected static void ScaledLeaky(Span<double> x, double leak, double scale)
    {
        int n = x.Length, b = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var vs = new Vector<double>(scale); var vl = new Vector<double>(scale * leak);
            for (; b <= n - Vector<double>.Count; b += Vector<double>.Count)
            {
                var v = new Vector<double>(x[b..]);
                Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<double>.Zero), vs * v, vl * v).CopyTo(x[b..]);
            }
        }
        for (; b < n; b++) x[b] = x[b] > 0 ? scale * x[b] : scale * leak * x[b];
    }

    protected static void TanhInPlace(Span<double> x) => System.Numerics.Tensors.TensorPrimitives.Tanh(x, x);
}

/// <summary>What <see cref="DeviceModel.PrepareNodes"/> computed for one state: opaque to the solver, read by its model.</summary>
public abstract class PinNodeTerms
{
    /// <summary>Samples per node.</summary>
    public int Width { get; protected set; }
}
