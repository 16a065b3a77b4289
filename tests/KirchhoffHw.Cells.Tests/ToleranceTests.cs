using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells.Tests;

/// <summary>The perturbed cell laws the tolerance analysis solves: exact at zero strength, each imperfection as documented.</summary>
public class ToleranceTests
{
    private static readonly Units Slow = new(1, 1, 1);

    private static Design Relu() => Designs.Build(Slow, new ShiftRelu1(), [(1, 0), (0, 2), (1, 2), (2, 1)],
        [0.1, -0.2, 0.0, 0.3, /* p1 */ 0.8, -1.2, 0.5, -0.4]);

    private static IEnumerable<Design> Cases() => [Designs.ThreeTanh(Slow), Relu(), Designs.Conductances(Slow, 0.5, -0.25)];

    private static (double Ideal, double Perturbed) Currents(Design ideal, Design perturbed, int e, double vs, double vd) =>
        (ideal.Layers[0].Model.Current(vs, vd, ideal.Layers[0].ParametersOf(e)),
         perturbed.Layers[0].Model.Current(vs, vd, perturbed.Layers[0].ParametersOf(e)));

    [Test]
    public void When_StrengthIsZero_Expect_EveryLawExactlyIdeal()
    {
        var random = new Random(5);
        foreach (var design in Cases())
            foreach (var kind in Tolerances.All)
            {
                var perturbed = Tolerances.Apply(design, OperatingRange.Uniform(design, 2.0), kind, 0, seed: 1);
                for (int e = 0; e < design.Layers[0].Edges.Count; e++)
                    for (int i = 0; i < 20; i++)
                    {
                        double vs = 4 * random.NextDouble() - 2, vd = 4 * random.NextDouble() - 2;
                        var (a, b) = Currents(design, perturbed, e, vs, vd);
                        Assert.That(b, Is.EqualTo(a).Within(1e-12 * (1 + Math.Abs(a))), $"{design.Layers[0].Model.Name} {kind} device {e}");
                    }
            }
    }

    [Test]
    public void When_KneeApplied_Expect_SoftplusOfWidthSTimesRangeOnRectifiersOnly()
    {
        var design = Relu();
        var ranges = OperatingRange.Uniform(design, 1.0);
        var perturbed = Tolerances.Apply(design, ranges, Imperfection.Knee, 0.01, seed: 1);
        // device 0 (node 1 -> ground): u = vs - vd - 0.1, U = 1 (node 1) + 0 (ground) + 0.1: at the knee the softplus adds w ln 2
        var (ideal, soft) = Currents(design, perturbed, 0, 0.1, 0);
        Assert.That(ideal, Is.EqualTo(0).Within(1e-15));
        Assert.That(soft, Is.EqualTo(0.8 * 0.01 * 1.1 * Math.Log(2)).Within(1e-12));
        var (far, farSoft) = Currents(design, perturbed, 0, 1.1, 0);
        Assert.That(farSoft, Is.EqualTo(far).Within(1e-12), "50 knee widths away the softplus is the line");
        var tanh = Designs.ThreeTanh(Slow);
        var (t, tSoft) = Currents(tanh, Tolerances.Apply(tanh, ranges, Imperfection.Knee, 0.1, seed: 1), 0, 0.3, -0.2);
        Assert.That(tSoft, Is.EqualTo(t).Within(1e-15), "a tanh cell has no knee");
    }

    [Test]
    public void When_GainMismatchDrawn_Expect_SeededAndOfTheStatedSpread()
    {
        var g = Enumerable.Repeat(1.0, 4000).ToArray();
        var design = Designs.Conductances(Slow, g);
        var ranges = OperatingRange.Uniform(design, 1.0);
        var a = Tolerances.Apply(design, ranges, Imperfection.Gain, 0.02, seed: 7);
        var b = Tolerances.Apply(design, ranges, Imperfection.Gain, 0.02, seed: 7);
        var c = Tolerances.Apply(design, ranges, Imperfection.Gain, 0.02, seed: 8);
        var ratios = Enumerable.Range(0, g.Length).Select(e => Currents(design, a, e, 1, 0).Perturbed).ToArray();
        Assert.That(Enumerable.Range(0, g.Length).Select(e => Currents(design, b, e, 1, 0).Perturbed), Is.EqualTo(ratios), "same seed, same draw");
        Assert.That(Enumerable.Range(0, g.Length).Select(e => Currents(design, c, e, 1, 0).Perturbed), Is.Not.EqualTo(ratios));
        double mean = ratios.Average(), std = Math.Sqrt(ratios.Select(r => (r - mean) * (r - mean)).Average());
        Assert.That(mean, Is.EqualTo(1).Within(0.002));
        Assert.That(std, Is.EqualTo(0.02).Within(0.002));
    }

    [Test]
    public void When_SystematicOffset_Expect_InputShiftedBySTimesRange()
    {
        var design = Designs.ThreeTanh(Slow);
        var perturbed = Tolerances.Apply(design, OperatingRange.Uniform(design, 1.0), Imperfection.SystematicOffset, 0.1, seed: 1);
        // device 0 (ShiftTanh2 0.5, 0, 0.2 on node 1 -> ground): u = 0.5 vs + 0.2, U = 0.5 x 1 + 0 + 0.2 = 0.7
        var (_, shifted) = Currents(design, perturbed, 0, 0.4, 0);
        Assert.That(shifted, Is.EqualTo(Math.Tanh(0.5 * 0.4 + 0.2 + 0.07)).Within(1e-12));
    }
}
