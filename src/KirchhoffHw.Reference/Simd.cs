using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace KirchhoffHw.Reference;

/// <summary>
/// The vector operations the kernels need, over one register type <typeparamref name="TV"/>, so one generic
/// kernel serves every width. Vector&lt;double&gt; stays 256-bit on AVX-512 machines; the 512-bit width
/// halves the twomoon time on Zen 5. Every operation is IEEE element-wise, so both widths give the same bits.
/// </summary>
internal interface ISimd<TV> where TV : struct
{
    static abstract int Count { get; }
    static abstract TV Create(double x);
    static abstract TV Load(ref double origin, nuint offset);
    static abstract void Store(TV v, ref double origin, nuint offset);
    static abstract TV Add(TV a, TV b);
    static abstract TV Subtract(TV a, TV b);
    static abstract TV Multiply(TV a, TV b);
    static abstract TV Divide(TV a, TV b);
    static abstract TV Negate(TV a);
    /// <summary>a * b + c with one rounding.</summary>
    static abstract TV Fma(TV a, TV b, TV c);
    static abstract TV Abs(TV a);
    static abstract TV Min(TV a, TV b);
    /// <summary>x &gt; 0 ? ifPositive : otherwise, per element.</summary>
    static abstract TV SelectPositive(TV x, TV ifPositive, TV otherwise);
    /// <summary>x &lt; 0 ? ifNegative : otherwise, per element.</summary>
    static abstract TV SelectNegative(TV x, TV ifNegative, TV otherwise);
    /// <summary>The sum of the elements, in a fixed order.</summary>
    static abstract double Sum(TV v);
    /// <summary>Reinterprets as int64, subtracts <paramref name="bias"/> and shifts into the exponent field.</summary>
    static abstract TV ExponentFromBits(TV x, long bias);
}

/// <summary>The portable width: Vector&lt;double&gt; (256-bit on AVX2, 128-bit on NEON).</summary>
internal readonly struct SimdPortable : ISimd<Vector<double>>
{
    public static int Count => Vector<double>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector<double> Create(double x) => new(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector<double> Load(ref double origin, nuint offset) => Vector.LoadUnsafe(ref origin, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector<double> v, ref double origin, nuint offset) => v.StoreUnsafe(ref origin, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector<double> Add(Vector<double> a, Vector<double> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector<double> Subtract(Vector<double> a, Vector<double> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector<double> Multiply(Vector<double> a, Vector<double> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector<double> Divide(Vector<double> a, Vector<double> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector<double> Negate(Vector<double> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector<double> Fma(Vector<double> a, Vector<double> b, Vector<double> c) => Vector.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector<double> Abs(Vector<double> a) => Vector.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector<double> Min(Vector<double> a, Vector<double> b) => Vector.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> SelectPositive(Vector<double> x, Vector<double> ifPositive, Vector<double> otherwise) =>
        Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<double>.Zero), ifPositive, otherwise);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> SelectNegative(Vector<double> x, Vector<double> ifNegative, Vector<double> otherwise) =>
        Vector.ConditionalSelect(Vector.LessThan(x, Vector<double>.Zero), ifNegative, otherwise);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Sum(Vector<double> v) => Vector.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> ExponentFromBits(Vector<double> x, long bias) =>
        Vector.AsVectorDouble((Vector.AsVectorInt64(x) - new Vector<long>(bias)) << 52);
}

/// <summary>The AVX-512 width.</summary>
internal readonly struct Simd512 : ISimd<Vector512<double>>
{
    public static int Count => Vector512<double>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Create(double x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Load(ref double origin, nuint offset) => Vector512.LoadUnsafe(ref origin, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<double> v, ref double origin, nuint offset) => v.StoreUnsafe(ref origin, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Add(Vector512<double> a, Vector512<double> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Subtract(Vector512<double> a, Vector512<double> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Multiply(Vector512<double> a, Vector512<double> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Divide(Vector512<double> a, Vector512<double> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Negate(Vector512<double> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Fma(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Abs(Vector512<double> a) => Vector512.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Min(Vector512<double> a, Vector512<double> b) => Vector512.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> SelectPositive(Vector512<double> x, Vector512<double> ifPositive, Vector512<double> otherwise) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<double>.Zero), ifPositive, otherwise);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> SelectNegative(Vector512<double> x, Vector512<double> ifNegative, Vector512<double> otherwise) =>
        Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<double>.Zero), ifNegative, otherwise);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Sum(Vector512<double> v) => Vector512.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> ExponentFromBits(Vector512<double> x, long bias) =>
        ((x.AsInt64() - Vector512.Create(bias)) << 52).AsDouble();
}
