using System.Numerics;

namespace KirchhoffHw.Model.Devices;

/// <summary>Circuit family of a law: decides which transistor cell can realize it.</summary>
public enum DeviceFamily { Tanh, Relu, LeakyRelu, Linear }

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
