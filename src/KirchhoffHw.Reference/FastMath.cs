using System.Runtime.CompilerServices;

namespace KirchhoffHw.Reference;

/// <summary>
/// Vector tanh for the fused KCL loop. TensorPrimitives.Tanh over a scratch block cost 3.5 ns per edge and
/// sample on twomoon and Vector.Exp more; this one stays in registers inside the edge loop.
/// </summary>
internal static class FastMath
{
    private const double Ln2Hi = 6.93147180369123816490e-01, Ln2Lo = 1.90821492927058770002e-10;
    private const double InvLn2 = 1.44269504088896338700e+00;
    private const double Shifter = 6755399441055744.0; // 1.5 * 2^52: its low mantissa bits hold round(x) for |x| < 2^51
    private const long ShifterBits = 0x4338000000000000;

    // tanh(20) rounds to 1 in double, so larger arguments change nothing and 2|x| <= 40 keeps 2^n finite.
    private const double MaxDoubleArgument = 40.0;

    /// <summary>
    /// tanh(x) = sign(x) * m / (m + 2) with m = expm1(2|x|). expm1 rather than exp keeps relative accuracy
    /// near 0 (no 1 - 2/(e+1) cancellation): within a few ulp of Math.Tanh everywhere.
    /// </summary>
    // Inlined by force: the generic wrappers of ISimd exhaust the JIT's inlining budget otherwise.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Tanh<TS, TV>(TV x) where TS : ISimd<TV> where TV : struct
    {
        var y = TS.Min(TS.Multiply(TS.Abs(x), TS.Create(2.0)), TS.Create(MaxDoubleArgument));
        // Round-to-integer by the 1.5 * 2^52 shifter: AVX2 has no double -> int64 conversion, and the
        // fallback for Vector.ConvertToInt64 is scalar (it tripled the twomoon time).
        var shifted = TS.Fma(y, TS.Create(InvLn2), TS.Create(Shifter));
        var n = TS.Subtract(shifted, TS.Create(Shifter));
        // r in [-ln2/2, ln2/2]; ln2 split in two so n * ln2 is exact to double precision.
        var r = TS.Fma(n, TS.Create(-Ln2Lo), TS.Fma(n, TS.Create(-Ln2Hi), y));
        var p = ExpM1Reduced<TS, TV>(r);
        var scale = TS.ExponentFromBits(shifted, ShifterBits - 1023);
        // e^y - 1 = 2^n (1 + p) - 1 = 2^n p + (2^n - 1): exact p when n = 0.
        var m = TS.Fma(scale, p, TS.Subtract(scale, TS.Create(1.0)));
        var t = TS.Divide(m, TS.Add(m, TS.Create(2.0)));
        return TS.SelectNegative(x, TS.Negate(t), t);
    }

    /// <summary>e^r - 1 for |r| &lt;= ln2/2 by its Taylor series to r^13 (truncation below 2e-17 relative).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ExpM1Reduced<TS, TV>(TV r) where TS : ISimd<TV> where TV : struct
    {
        var q = TS.Create(1.0 / 6227020800.0);            // 1/13!
        q = TS.Fma(q, r, TS.Create(1.0 / 479001600.0));
        q = TS.Fma(q, r, TS.Create(1.0 / 39916800.0));
        q = TS.Fma(q, r, TS.Create(1.0 / 3628800.0));
        q = TS.Fma(q, r, TS.Create(1.0 / 362880.0));
        q = TS.Fma(q, r, TS.Create(1.0 / 40320.0));
        q = TS.Fma(q, r, TS.Create(1.0 / 5040.0));
        q = TS.Fma(q, r, TS.Create(1.0 / 720.0));
        q = TS.Fma(q, r, TS.Create(1.0 / 120.0));
        q = TS.Fma(q, r, TS.Create(1.0 / 24.0));
        q = TS.Fma(q, r, TS.Create(1.0 / 6.0));
        q = TS.Fma(q, r, TS.Create(0.5));
        q = TS.Fma(q, r, TS.Create(1.0));
        return TS.Multiply(q, r);
    }
}
