using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Reference.Tests;

/// <summary>The right-hand side's reverse mode (<see cref="Kcl.Adjoint"/>), its parameter map, and node trims.</summary>
public class KclAdjointTests
{
    private static IEnumerable<DeviceModel> Models() => DeviceModels.All;

    [TestCaseSource(nameof(Models))]
    public void When_AffineJacobianTaken_Expect_TheDefaultsCentralDifference(DeviceModel model)
    {
        var rng = new Random(3);
        int pc = model.ParameterCount;
        var exact = new double[4 * pc];
        var viaBase = new double[4 * pc];
        for (int i = 0; i < 50; i++)
        {
            var p = Enumerable.Range(0, pc).Select(_ => 4 * rng.NextDouble() - 2).ToArray();
            model.AffineJacobian(p, exact);
            new AffineOnly(model).AffineJacobian(p, viaBase);
            Assert.That(exact, Is.EqualTo(viaBase).Within(1e-9), model.Name);
        }
    }

    [TestCase(false, 0.0)]
    [TestCase(true, 0.0)]
    [TestCase(false, 0.05)]
    [TestCase(true, 0.05)]
    public void When_AdjointTaken_Expect_TransposedJacobianAndParameterSensitivities(bool modelKernel, double lag)
    {
        // <u, f(y + h e_k)> - <u, f(y - h e_k)> over 2h is row k of J^T u; the same along each parameter gives the sensitivities.
        for (int seed = 0; seed < 30; seed++)
        {
            var design = Support.RandomDesign(seed);
            int n = design.NodeCount, width = 8;
            var rng = new Random(seed + 100);
            foreach (var layer in design.Layers)
            {
                var kcl = new Kcl(layer, n, modelKernel).Lagged(lag);
                var y = Batch(n, width, rng);
                var u = Batch(n, width, rng);
                var result = new double[(n + 1) * width];
                var gradient = kcl.NewGradient();
                kcl.Adjoint(y, u, result, gradient, width);
                var theta = new double[layer.Theta.Length];
                gradient.AddTo(theta);

                double Inner(Kcl f, double[] state)
                {
                    var d = new double[state.Length];
                    f.Evaluate(state, d, width);
                    return d.Zip(u, (a, b) => a * b).Sum();
                }
                for (int node = 1; node <= n; node++)
                    for (int b = 0; b < width; b++)
                    {
                        int i = node * width + b;
                        double fd = Central(x => { var s = (double[])y.Clone(); s[i] = x; return Inner(kcl, s); }, y[i]);
                        Assert.That(result[i], Is.EqualTo(fd).Within(1e-6 * (1 + Math.Abs(fd))), $"seed {seed} {layer.Model.Name}: J^T u at node {node} lane {b}");
                    }
                Assert.That(result.Take(width), Is.All.EqualTo(0.0), "ground row");
                for (int k = 0; k < theta.Length; k++)
                {
                    double fd = Central(x =>
                    {
                        var t = (double[])layer.Theta.Clone();
                        t[k] = x;
                        return Inner(new Kcl(new Layer(layer.TStart, layer.TEnd, layer.Model, layer.Edges, t), n, modelKernel).Lagged(lag), y);
                    }, layer.Theta[k]);
                    Assert.That(theta[k], Is.EqualTo(fd).Within(1e-6 * (1 + Math.Abs(fd))), $"seed {seed} {layer.Model.Name}: parameter {k}");
                }
            }
        }
    }

    [Test]
    public void When_FusedAndModelKernelsReverse_Expect_SameGradients()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var design = Support.RandomDesign(seed, shape: Shape.ParallelDuplicates);
            int n = design.NodeCount, width = 16;
            var rng = new Random(seed);
            foreach (var layer in design.Layers)
            {
                var y = Batch(n, width, rng);
                var u = Batch(n, width, rng);
                var (fused, generic) = (new Kcl(layer, n), new Kcl(layer, n, useModelKernel: true));
                Assert.That(fused.IsFused, Is.True);
                var (rf, rg) = (new double[y.Length], new double[y.Length]);
                var (gf, gg) = (fused.NewGradient(), generic.NewGradient());
                fused.Adjoint(y, u, rf, gf, width);
                generic.Adjoint(y, u, rg, gg, width);
                var (tf, tg) = (new double[layer.Theta.Length], new double[layer.Theta.Length]);
                gf.AddTo(tf);
                gg.AddTo(tg);
                Assert.That(rf, Is.EqualTo(rg).Within(1e-12 * (1 + rg.Max(Math.Abs))), $"seed {seed} {layer.Model.Name}");
                Assert.That(tf, Is.EqualTo(tg).Within(1e-12 * (1 + tg.DefaultIfEmpty(0).Max(Math.Abs))), $"seed {seed} {layer.Model.Name}");
            }
        }
    }

    [Test]
    public void When_TrimsZero_Expect_SameBitsAsNone()
    {
        var design = Support.RandomDesign(4);
        var inputs = Support.RandomInputs(12, design.NodeCount, 1);
        var none = ReferenceSolver.Solve(design, inputs, SolverOptions.Dopri5(1e-8));
        var zero = ReferenceSolver.Solve(design.WithNodeTrims(new double[design.NodeCount]), inputs, SolverOptions.Dopri5(1e-8));
        for (int i = 0; i < inputs.Length; i++) Assert.That(zero.Cases[i].Output, Is.EqualTo(none.Cases[i].Output));
    }

    [Test]
    public void When_TrimDrivesAnIdleNode_Expect_RampOfTrimTimesTime()
    {
        // a zero conductance leaves only the trims: v_k(T) = v_k(0) + trim_k * (time the layers are connected)
        var layer0 = new Layer(0, 0.5, new Conductance(), EdgeList.FromPairs([(1, 2)]), [0.0]);
        var layer1 = new Layer(0.75, 1.25, new Conductance(), EdgeList.FromPairs([(1, 2)]), [0.0]);
        var design = new Design("trims", 2, [layer0, layer1], new InputMap(2), Readout.AllNodes, nodeTrims: [0.4, -2.0]);
        var result = ReferenceSolver.Solve(design, [[1.0, 0.5]], SolverOptions.Dopri5(1e-10)).Cases[0];
        Assert.That(result.Boundaries[0].State, Is.EqualTo(new[] { 1.0 + 0.4 * 0.5, 0.5 - 2.0 * 0.5 }).Within(1e-12));
        Assert.That(result.Output, Is.EqualTo(new[] { 1.0 + 0.4, 0.5 - 2.0 }).Within(1e-12));
    }

    [Test]
    public void When_TrimsPresent_Expect_GroundGivesThemUp()
    {
        var layer = new Layer(0, 1, new Conductance(), EdgeList.FromPairs([(1, 0)]), [2.0]);
        var kcl = new Kcl(layer, 2, [0.25, -1.0]);
        double[] state = [0, 1.0, 3.0], d = new double[3], ground = new double[1];
        kcl.Evaluate(state, d, 1, ground);
        Assert.That(d, Is.EqualTo(new[] { 0.0, -2.0 + 0.25, -1.0 }));
        Assert.That(ground[0], Is.EqualTo(2.0 - 0.25 + 1.0), "device 2 A into ground, trims 0.25 - 1 A out of it");
    }

    [Test]
    public void When_TrimNotFinite_Expect_ValidatorNamesTheNode()
    {
        var design = Support.RandomDesign(1).WithNodeTrims(Enumerable.Range(0, Support.RandomDesign(1).NodeCount).Select(k => k == 0 ? double.NaN : 0.0).ToArray());
        var found = Model.Validation.DesignValidator.Check(design, "d.yaml");
        Assert.That(found.Select(d => d.ToString()), Has.Some.EqualTo("d.yaml: node 1: trim current is NaN; trims must be finite"));
        Assert.Throws<ArgumentException>(() => design.WithNodeTrims([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]), "one trim per node");
    }

    private static double Central(Func<double, double> f, double x)
    {
        double h = 1e-5 * Math.Max(1, Math.Abs(x));
        return (f(x + h) - f(x - h)) / (2 * h);
    }

    private static double[] Batch(int nodes, int width, Random rng)
    {
        var a = new double[(nodes + 1) * width];
        for (int i = width; i < a.Length; i++) a[i] = 2 * rng.NextDouble() - 1;
        return a;
    }

    /// <summary>A model that forwards only its affine form, so <see cref="DeviceModel.AffineJacobian"/> is the base class's.</summary>
    private sealed class AffineOnly(DeviceModel inner) : DeviceModel
    {
        public override string Name => inner.Name;
        public override string Equation => inner.Equation;
        public override IReadOnlyList<string> ParameterNames => inner.ParameterNames;
        public override DeviceFamily Family => inner.Family;
        public override bool DependsOnDifferenceOnly => inner.DependsOnDifferenceOnly;
        public override Expr Law => inner.Law;
        public override bool HasAffineForm => true;
        public override AffineForm Affine(ReadOnlySpan<double> p) => inner.Affine(p);
        public override double Current(double vs, double vd, ReadOnlySpan<double> p) => inner.Current(vs, vd, p);
        public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p) => inner.Gradient(vs, vd, p);
    }
}
