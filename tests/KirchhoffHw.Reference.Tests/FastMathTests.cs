using System.Numerics;
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

    [Test]
    public void When_VectorTanhAgainstMathTanh_Expect_WithinFourUlp()
    {
        var xs = Arguments().ToArray();
        int vc = Vector<double>.Count;
        double worst = 0, worstAt = 0;
        for (int i = 0; i + vc <= xs.Length; i += vc)
        {
            var t = FastMath.Tanh(new Vector<double>(xs, i));
            for (int j = 0; j < vc; j++)
            {
                double x = xs[i + j], expected = Math.Tanh(x);
                double ulps = Math.Abs(t[j] - expected) / Math.Max(double.Epsilon, Math.BitIncrement(Math.Abs(expected)) - Math.Abs(expected));
                Assert.That(Math.Sign(t[j]) == Math.Sign(expected) || expected == 0, $"sign at {x}");
                if (ulps > worst) (worst, worstAt) = (ulps, x);
            }
        }
        Assert.That(worst, Is.LessThanOrEqualTo(4), $"worst {worst} ulp at x = {worstAt:R}");
    }

    [Test]
    public void When_NaN_Expect_NaN() =>
        Assert.That(double.IsNaN(FastMath.Tanh(new Vector<double>(double.NaN))[0]), Is.True);
}
