using KirchhoffHw.Import;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Calibration.Tests;

/// <summary>The pin-level cell with imperfections: its derivatives, its batched kernels, and designs built from it.</summary>
public class PerturbedCellTests
{
    private static IEnumerable<DeviceFamily> Families() => Enum.GetValues<DeviceFamily>();

    private static IEnumerable<(double Vs, double Vd, double[] P)> Points(int seed)
    {
        var rng = new Random(seed);
        for (int i = 0; i < 100; i++)
        {
            double[] p = [2 * rng.NextDouble() - 1, 2 * rng.NextDouble() - 1, rng.NextDouble() - 0.5, 3 * rng.NextDouble() - 1.5,
                1 + 0.1 * (rng.NextDouble() - 0.5), 0.2 * (rng.NextDouble() - 0.5), 0.02 * rng.NextDouble(), 0.1 * rng.NextDouble(), 0.1 * rng.NextDouble()];
            yield return (4 * rng.NextDouble() - 2, 4 * rng.NextDouble() - 2, p);
        }
    }

    [TestCaseSource(nameof(Families))]
    public void When_PinDerivativesTaken_Expect_CentralDifferences(DeviceFamily family)
    {
        var model = new PerturbedCell(family);
        var dOut = new double[model.ParameterCount];
        var dIn = new double[model.ParameterCount];
        foreach (var (vs, vd, p) in Points(1))
        {
            double u = p[0] * vs + p[1] * vd + p[2] + p[5];
            if (family is DeviceFamily.Relu or DeviceFamily.LeakyRelu && Math.Abs(u) < 1e-3) continue;
            var g = model.PinGradient(vs, vd, p);
            Assert.That(g.SrcDVs, Is.EqualTo(Central(x => model.PinCurrents(x, vd, p).OutOfSource, vs)).Within(1e-7));
            Assert.That(g.SrcDVd, Is.EqualTo(Central(x => model.PinCurrents(vs, x, p).OutOfSource, vd)).Within(1e-7));
            Assert.That(g.DstDVs, Is.EqualTo(Central(x => model.PinCurrents(x, vd, p).IntoDestination, vs)).Within(1e-7));
            Assert.That(g.DstDVd, Is.EqualTo(Central(x => model.PinCurrents(vs, x, p).IntoDestination, vd)).Within(1e-7));
            model.PinParameterGradient(vs, vd, p, dOut, dIn);
            for (int k = 0; k < p.Length; k++)
            {
                double At(double x, bool into)
                {
                    var q = (double[])p.Clone();
                    q[k] = x;
                    var c = model.PinCurrents(vs, vd, q);
                    return into ? c.IntoDestination : c.OutOfSource;
                }
                Assert.That(dOut[k], Is.EqualTo(Central(x => At(x, false), p[k])).Within(1e-7), $"{family} d(out)/d{model.ParameterNames[k]}");
                Assert.That(dIn[k], Is.EqualTo(Central(x => At(x, true), p[k])).Within(1e-7), $"{family} d(in)/d{model.ParameterNames[k]}");
            }
        }
    }

    [TestCaseSource(nameof(Families))]
    public void When_BatchedKernelsRun_Expect_TheScalarLawAndTheGenericAdjoint(DeviceFamily family)
    {
        var model = new PerturbedCell(family);
        var reference = new ScalarOnly(model);
        const int n = 13; // not a multiple of any vector width: the tails run too
        foreach (var (_, _, p) in Points(2).Take(20))
        {
            var rng = new Random(3);
            var vs = Enumerable.Range(0, n).Select(_ => 4 * rng.NextDouble() - 2).ToArray();
            var vd = Enumerable.Range(0, n).Select(_ => 4 * rng.NextDouble() - 2).ToArray();
            var wo = Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray();
            var wi = Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray();
            var (o, i) = (new double[n], new double[n]);
            model.PinCurrents(vs, vd, p, o, i);
            for (int b = 0; b < n; b++)
            {
                var c = model.PinCurrents(vs[b], vd[b], p);
                Assert.That(o[b], Is.EqualTo(c.OutOfSource).Within(1e-14));
                Assert.That(i[b], Is.EqualTo(c.IntoDestination).Within(1e-14));
            }
            var (gs, gd, gp) = (new double[n], new double[n], new double[n * p.Length]);
            var (rs, rd, rp) = (new double[n], new double[n], new double[n * p.Length]);
            model.PinAdjoint(vs, vd, p, wo, wi, gs, gd, gp);
            reference.PinAdjoint(vs, vd, p, wo, wi, rs, rd, rp);
            Assert.That(gs, Is.EqualTo(rs).Within(1e-13));
            Assert.That(gd, Is.EqualTo(rd).Within(1e-13));
            Assert.That(gp, Is.EqualTo(rp).Within(1e-13));
        }
    }

    [TestCase("twomoon")]
    [TestCase("spiral")]
    public void When_NoImperfection_Expect_TheIdealTrajectory(string name)
    {
        // zero gain error, offset, mismatch and conductance: the cell law is the design's own, device for device
        var ideal = name == "twomoon" ? Fixtures.Twomoon() : ModelLoader.Load(Path.Combine(RepoPaths.Designs, "spiral.yaml")).Design;
        var inputs = Fixtures.Inputs(ideal, 8, 3);
        var cells = new CellImperfections(0, 0, 0, 0).Apply(ideal, inputs, 1);
        Assert.That(cells.Layers.All(l => l.Model is PerturbedCell), Is.True);
        var options = SolverOptions.Dopri5(1e-10);
        var a = ReferenceSolver.Solve(ideal, inputs, options);
        var b = ReferenceSolver.Solve(cells, inputs, options);
        for (int i = 0; i < inputs.Length; i++)
            Assert.That(b.Cases[i].Output, Is.EqualTo(a.Cases[i].Output).Within(1e-7 * (1 + a.Cases[i].Output.Max(Math.Abs))), $"case {i}");
    }

    [Test]
    public void When_ImperfectionsDrawn_Expect_StrengthsAsStatedAndSameForSameSeed()
    {
        var teacher = Fixtures.Twomoon();
        var inputs = Fixtures.Inputs(teacher, 16, 1);
        var cells = CellImperfections.Measured(0.02);
        var a = cells.Apply(teacher, inputs, 5);
        var b = cells.Apply(teacher, inputs, 5);
        var c = cells.Apply(teacher, inputs, 6);
        Assert.That(a.Layers[0].Theta, Is.EqualTo(b.Layers[0].Theta));
        Assert.That(a.Layers[0].Theta, Is.Not.EqualTo(c.Layers[0].Theta));
        var layer = a.Layers[0];
        var gains = layer.ParameterRow(PerturbedCell.Gain).ToArray();
        double sd = Math.Sqrt(gains.Average(g => (g - 1) * (g - 1)));
        Assert.That(sd, Is.EqualTo(0.02).Within(0.004), "gain sigma over 300 devices");
        Assert.That(layer.ParameterRow(PerturbedCell.Mismatch).ToArray(), Is.All.EqualTo(0.01));
        Assert.That(layer.ParameterRow(PerturbedCell.SourceConductance).ToArray().Max(), Is.EqualTo(0.167 * 0.02).Within(1e-15), "|amplitude| is 1 in ShiftTanh2");
    }

    [Test]
    public void When_PerturbedTwomoonDifferentiated_Expect_FiniteDifferences()
    {
        // the batched pin adjoint inside the solver, against the forward solver
        var teacher = Fixtures.Twomoon();
        var inputs = Fixtures.Inputs(teacher, 2, 4);
        var design = CellImperfections.Measured(0.02).Apply(teacher, inputs, 3).WithNodeTrims([0.1, -0.05]);
        var options = SolverOptions.Dopri5(1e-12);
        var targets = new[] { new[] { 1.0, -2.0 }, new[] { 0.5, 0.25 } };
        double Loss(CaseResult c, double[][]? g)
        {
            double s = 0;
            for (int l = 0; l < 2; l++)
                for (int k = 0; k < 2; k++)
                {
                    double d = c.Boundaries[l].State[k] - targets[l][k];
                    s += d * d;
                    if (g is not null) g[l][k] = 2 * d;
                }
            return s;
        }
        var result = Sensitivities.Solve(design, inputs, (_, c, g) => Loss(c, g), options);
        double Total(Design d) => ReferenceSolver.Solve(d, inputs, options).Cases.Sum(c => Loss(c, null));
        var rng = new Random(8);
        var picks = Enumerable.Range(0, 16).Select(_ => (L: rng.Next(2), K: rng.Next(design.Layers[0].Theta.Length))).Distinct().ToList();
        double scale = 0;
        var pairs = new List<(double Adjoint, double Fd, string Name)>();
        foreach (var (l, k) in picks)
        {
            double fd = Richardson(x =>
            {
                var layers = design.Layers.ToArray();
                var theta = (double[])layers[l].Theta.Clone();
                theta[k] = x;
                layers[l] = new Layer(layers[l].TStart, layers[l].TEnd, layers[l].Model, layers[l].Edges, theta);
                return Total(design.With(layers: layers));
            }, design.Layers[l].Theta[k]);
            pairs.Add((result.ThetaGradients[l][k], fd, $"layer {l} {design.Layers[l].Model.ParameterNames[k / design.Layers[l].Edges.Count]} of device {k % design.Layers[l].Edges.Count}"));
            scale = Math.Max(scale, Math.Abs(fd));
        }
        foreach (var (adj, fd, name) in pairs) Assert.That(adj, Is.EqualTo(fd).Within(1e-6 * scale), name);
    }

    private static double Central(Func<double, double> f, double x)
    {
        double h = 1e-6 * Math.Max(1, Math.Abs(x));
        return (f(x + h) - f(x - h)) / (2 * h);
    }

    private static double Richardson(Func<double, double> f, double x)
    {
        double h = 1e-3 * Math.Max(1, Math.Abs(x));
        double D(double s) => (f(x + s) - f(x - s)) / (2 * s);
        return (4 * D(h / 2) - D(h)) / 3;
    }

    /// <summary>The same law through <see cref="DeviceModel"/>'s per-sample fallbacks only.</summary>
    private sealed class ScalarOnly(PerturbedCell inner) : DeviceModel
    {
        public override string Name => inner.Name;
        public override string Equation => inner.Equation;
        public override IReadOnlyList<string> ParameterNames => inner.ParameterNames;
        public override DeviceFamily Family => inner.Family;
        public override bool DependsOnDifferenceOnly => false;
        public override bool IsPinLevel => true;
        public override Expr Law => inner.Law;
        public override double Current(double vs, double vd, ReadOnlySpan<double> p) => inner.Current(vs, vd, p);
        public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p) => inner.Gradient(vs, vd, p);
        public override (double OutOfSource, double IntoDestination) PinCurrents(double vs, double vd, ReadOnlySpan<double> p) => inner.PinCurrents(vs, vd, p);
        public override (double SrcDVs, double SrcDVd, double DstDVs, double DstDVd) PinGradient(double vs, double vd, ReadOnlySpan<double> p) => inner.PinGradient(vs, vd, p);
        public override void PinParameterGradient(double vs, double vd, ReadOnlySpan<double> p, Span<double> o, Span<double> i) => inner.PinParameterGradient(vs, vd, p, o, i);
    }
}
