using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Reference.Tests;

/// <summary>
/// What every device model answers for itself: its affine form (which the fused kernel and the cells lower from), its
/// parameter sensitivities (which the adjoint needs) and its pin currents (which KCL takes for pin-level cells).
/// </summary>
public class DeviceContractTests
{
    private static IEnumerable<DeviceModel> Models() => DeviceModels.All;

    private static IEnumerable<(double Vs, double Vd, double[] P)> Points(DeviceModel model, int seed)
    {
        var rng = new Random(seed);
        for (int i = 0; i < 200; i++)
            yield return (4 * rng.NextDouble() - 2, 4 * rng.NextDouble() - 2,
                Enumerable.Range(0, model.ParameterCount).Select(_ => 3 * rng.NextDouble() - 1.5).ToArray());
    }

    [TestCaseSource(nameof(Models))]
    public void When_AffineFormEvaluated_Expect_TheLawItself(DeviceModel model)
    {
        Assert.That(model.HasAffineForm, Is.True);
        foreach (var (vs, vd, p) in Points(model, 1))
        {
            var f = model.Affine(p);
            double viaForm = f.Amplitude * Activations.Apply(model.Family, f.A * vs + f.B * vd + f.C);
            Assert.That(viaForm, Is.EqualTo(model.Current(vs, vd, p)).Within(1e-12), $"{model.Name} at vs={vs} vd={vd}");
        }
    }

    [TestCaseSource(nameof(Models))]
    public void When_ParameterGradientTaken_Expect_CentralDifferences(DeviceModel model)
    {
        var grad = new double[model.ParameterCount];
        foreach (var (vs, vd, p) in Points(model, 2))
        {
            var f = model.Affine(p);
            double u = f.A * vs + f.B * vd + f.C;
            // a kink within the difference step has no derivative to compare
            if (model.Family is DeviceFamily.Relu or DeviceFamily.LeakyRelu && Math.Abs(u) < 1e-3) continue;
            model.ParameterGradient(vs, vd, p, grad);
            for (int k = 0; k < p.Length; k++)
            {
                double h = 1e-6, keep = p[k];
                p[k] = keep + h; double up = model.Current(vs, vd, p);
                p[k] = keep - h; double down = model.Current(vs, vd, p);
                p[k] = keep;
                Assert.That(grad[k], Is.EqualTo((up - down) / (2 * h)).Within(1e-7 * Math.Max(1, Math.Abs(grad[k]))), $"{model.Name} dI/d{model.ParameterNames[k]}");
            }
        }
    }

    [Test]
    public void When_PinLevelModelSolved_Expect_KclTakesEachPinsCurrent()
    {
        // A conductance whose destination pin delivers 90 % of what leaves the source: KCL must not balance it.
        var model = new LossyConductance();
        var layer = new Layer(0, 1, model, EdgeList.FromPairs([(1, 2)]), [2.0]);
        var kcl = new Kcl(layer, 2);
        Assert.That(kcl.IsFused, Is.False);
        double[] state = [0, 1.0, 0.25], dy = new double[3];
        kcl.Evaluate(state, dy, 1);
        Assert.That(dy[1], Is.EqualTo(-1.5).Within(1e-15));
        Assert.That(dy[2], Is.EqualTo(0.9 * 1.5).Within(1e-15));
    }

    private sealed class LossyConductance : DeviceModel
    {
        public override string Name => "LossyConductance";
        public override string Equation => "p0 * (vs - vd), 90 % of it arriving";
        public override IReadOnlyList<string> ParameterNames { get; } = ["p0"];
        public override DeviceFamily Family => DeviceFamily.Linear;
        public override bool DependsOnDifferenceOnly => true;
        public override Expr Law { get; } = Expr.P(0) * (Expr.Vs - Expr.Vd);
        public override double Current(double vs, double vd, ReadOnlySpan<double> p) => p[0] * (vs - vd);
        public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p) => (p[0], -p[0]);
        public override bool IsPinLevel => true;
        public override (double OutOfSource, double IntoDestination) PinCurrents(double vs, double vd, ReadOnlySpan<double> p) =>
            (Current(vs, vd, p), 0.9 * Current(vs, vd, p));
    }
}
