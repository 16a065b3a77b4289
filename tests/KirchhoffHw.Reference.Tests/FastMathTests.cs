using System.Numerics;
using System.Runtime.Intrinsics;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Reference.Tests;

public class FastMathTests
{
    private static IEnumerable<double> Arguments()
    {
        var rng = new Random(5);
        foreach (var x in new[] { 0.0, -0.0, 1e-300, -1e-300, 1e-9, 0.17328679513998632, 0.3465735902799726, 0.35, 0.5, 1, 9, 19.06, 20, 40, 1e6, double.MaxValue })
        {
            yield return x;
            yield return -x;
        }
        for (int i = 0; i < 20_000; i++) yield return (rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-12, 3));
    }

    /// <summary>FastMath.Tanh of every whole vector of <paramref name="xs"/> at one width.</summary>
    private static double[] Tanh<TS, TV>(double[] xs) where TS : ISimd<TV> where TV : struct
    {
        var t = new double[xs.Length - xs.Length % TS.Count];
        for (int i = 0; i < t.Length; i += TS.Count)
            TS.Store(FastMath.Tanh<TS, TV>(TS.Load(ref xs[i], 0)), ref t[i], 0);
        return t;
    }

    private static double[] TanhAt(int bits, double[] xs) =>
        bits == 512 ? Tanh<Simd512, Vector512<double>>(xs) : Tanh<SimdPortable, Vector<double>>(xs);

    [TestCase(0)]
    [TestCase(512)]
    public void When_VectorTanhAgainstMathTanh_Expect_WithinFourUlp(int bits)
    {
        var xs = Arguments().ToArray();
        var t = TanhAt(bits, xs);
        double worst = 0, worstAt = 0;
        for (int i = 0; i < t.Length; i++)
        {
            double x = xs[i], expected = Math.Tanh(x);
            double ulps = Math.Abs(t[i] - expected) / Math.Max(double.Epsilon, Math.BitIncrement(Math.Abs(expected)) - Math.Abs(expected));
            Assert.That(Math.Sign(t[i]) == Math.Sign(expected) || expected == 0, $"sign at {x}");
            if (ulps > worst) (worst, worstAt) = (ulps, x);
        }
        Assert.That(worst, Is.LessThanOrEqualTo(4), $"worst {worst} ulp at x = {worstAt:R}");
    }

    [Test]
    public void When_WidthsDiffer_Expect_SameBits()
    {
        // A chunk's vector width depends on the machine; a case's answer must not.
        var xs = Arguments().Append(double.NaN).Append(double.NegativeInfinity).ToArray();
        var narrow = TanhAt(0, xs);
        var wide = TanhAt(512, xs);
        int n = Math.Min(narrow.Length, wide.Length);
        for (int i = 0; i < n; i++)
            Assert.That(BitConverter.DoubleToInt64Bits(wide[i]), Is.EqualTo(BitConverter.DoubleToInt64Bits(narrow[i])), $"x = {xs[i]:R}");
    }

    [TestCase(0)]
    [TestCase(512)]
    public void When_NaN_Expect_NaN(int bits) =>
        Assert.That(TanhAt(bits, Enumerable.Repeat(double.NaN, 8).ToArray()).All(double.IsNaN), Is.True);
}
