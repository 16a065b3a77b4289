using KirchhoffHw.Import;
using KirchhoffHw.Import.Cases;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Reference.Tests;

/// <summary>
/// The discrete adjoint (<see cref="Sensitivities"/>) against closed forms and central finite differences of the
/// forward solver (<see cref="ReferenceSolver"/> at rtol = atol = 1e-12, <see cref="Richardson"/>): for smooth laws
/// every gradient must agree to 1e-6 of the largest component of its kind.
/// </summary>
public class SensitivityTests
{
    internal static readonly SolverOptions Tight = SolverOptions.Dopri5(1e-12);

    /// <summary>A nonlinear loss: sum over boundaries l of w_l ||x_l - r_l||^2 with fixed random targets r.</summary>
    internal sealed class BoundaryLoss(Design design, int seed)
    {
        private readonly double[][] _targets = Enumerable.Range(0, design.Layers.Count)
            .Select(l => Support.RandomInputs(1, design.NodeCount, seed + l)[0]).ToArray();
        private readonly double[] _weights = Enumerable.Range(0, design.Layers.Count).Select(l => 1.0 / (l + 1)).ToArray();

        public double Evaluate(IReadOnlyList<(double T, double[] State)> boundaries, double[][]? gradient)
        {
            double loss = 0;
            for (int l = 0; l < boundaries.Count; l++)
                for (int k = 0; k < boundaries[l].State.Length; k++)
                {
                    double r = boundaries[l].State[k] - _targets[l][k];
                    loss += _weights[l] * r * r;
                    if (gradient is not null) gradient[l][k] = 2 * _weights[l] * r;
                }
            return loss;
        }

        public CaseLoss AsCaseLoss => (_, forward, g) => Evaluate(forward.Boundaries, g);

        public double Total(Design d, IReadOnlyList<double[]> inputs) =>
            ReferenceSolver.Solve(d, inputs, Tight).Cases.Sum(c => Evaluate(c.Boundaries, null));
    }

    [Test]
    public void When_LinearLadderDifferentiated_Expect_TransposedMatrixExponential()
    {
        // tiny.yaml is dv/dt = G v, so v(T) = exp(G T) v0 and the gradient of c . v(T) is exp(G^T T) c.
        var design = DesignYamlLoad("tiny.yaml");
        var layer = design.Layers[0];
        int n = design.NodeCount;
        var g = new double[n, n];
        for (int e = 0; e < layer.Edges.Count; e++)
        {
            int s = layer.Edges.Source[e], d = layer.Edges.Destination[e];
            double p = layer.Theta[e];
            // I = p (vs - vd) leaves s and enters d
            if (s > 0) { g[s - 1, s - 1] -= p; if (d > 0) g[s - 1, d - 1] += p; }
            if (d > 0) { g[d - 1, d - 1] -= p; if (s > 0) g[d - 1, s - 1] += p; }
        }
        double[] c = [0.3, -1.1, 0.7];
        var expected = ExpTransposeTimes(g, layer.Duration, c);
        var result = Sensitivities.Solve(design, [[1.0, -0.5, 0.25]], (_, _, grad) => { c.CopyTo(grad[0], 0); return 0; }, Tight);
        for (int k = 0; k < n; k++)
            Assert.That(result.InitialStateGradients[0][k], Is.EqualTo(expected[k]).Within(1e-10), $"node {k + 1}");
    }

    [Test]
    public void When_TinyDifferentiated_Expect_FiniteDifferences()
    {
        var design = DesignYamlLoad("tiny.yaml").WithNodeTrims([0.05, -0.1, 0.02]);
        double[][] inputs = [[1.0, -0.5, 0.25], [0.2, 0.4, -0.8]];
        CheckAgainstFiniteDifferences(design, inputs, Enumerable.Range(0, design.Layers[0].Theta.Length).Select(k => (0, k)).ToList());
    }

    [Test]
    public void When_SpiralsSmoothLayersDifferentiated_Expect_FiniteDifferences()
    {
        var spiral = DesignYamlLoad("spiral.yaml");
        var design = spiral.With(layers: spiral.Layers.Take(2).ToList());
        double[][] inputs = [[0.6, -0.3], [-0.4, 0.9]];
        CheckAgainstFiniteDifferences(design, inputs, AllParameters(design));
    }

    /// <summary>
    /// spiral's third layer is a leaky ReLU. The adjoint differentiates the steps the solver took; the step that
    /// straddles a kink evaluates its stages' Jacobians on one side or the other, so its derivative is first order
    /// in that step (h ~ sqrt(tol) there, the local error being O(h^2)), while the finite differences also move
    /// the steps. At 1e-12 that leaves a few 1e-6 of the largest component (measured up to 3.6e-6; smooth laws 1e-12).
    /// </summary>
    [Test]
    public void When_LawWithKinksDifferentiated_Expect_FiniteDifferencesToSqrtTolerance()
    {
        var design = DesignYamlLoad("spiral.yaml");
        double[][] inputs = [[0.6, -0.3], [-0.4, 0.9]];
        CheckAgainstFiniteDifferences(design, inputs, AllParameters(design), bound: 1e-5);
    }

    [Test]
    public void When_TwomoonDifferentiated_Expect_FiniteDifferences()
    {
        var design = Twomoon();
        var inputs = CaseFile.Read(RepoPaths.Model("twomoon", "vectors.json")).Cases.Take(2).Select(c => c.Input).ToArray();
        var rng = new Random(5);
        var some = Enumerable.Range(0, 24).Select(_ => { int l = rng.Next(2); return (l, rng.Next(design.Layers[l].Theta.Length)); }).Distinct().ToList();
        CheckAgainstFiniteDifferences(design.WithNodeTrims([0.3, -0.2]), inputs, some);
    }

    [Test]
    public void When_PinLevelDesignDifferentiated_Expect_FiniteDifferences()
    {
        var design = PinLevelDesign();
        double[][] inputs = [[0.5, -0.7, 0.2], [-0.1, 0.3, 0.9]];
        CheckAgainstFiniteDifferences(design.WithNodeTrims([0.1, 0.0, -0.2]), inputs, AllParameters(design));
    }

    [Test]
    public void When_CellsLagged_Expect_FiniteDifferencesOfTheLaggedForward()
    {
        // the device model's own lag reaches the forward and the adjoint alike, trims included
        var design = PinLevelDesign(lag: 0.03);
        double[][] inputs = [[0.5, -0.7, 0.2], [-0.1, 0.3, 0.9]];
        var plain = ReferenceSolver.Solve(PinLevelDesign(), inputs, Tight).Cases[0].Output;
        var lagged = ReferenceSolver.Solve(design, inputs, Tight).Cases[0].Output;
        Assert.That(lagged.Zip(plain, (a, b) => Math.Abs(a - b)).Max(), Is.GreaterThan(1e-3), "the lag moves the outputs");
        CheckAgainstFiniteDifferences(design.WithNodeTrims([0.1, 0.0, -0.2]), inputs, AllParameters(design));
    }

    [Test]
    public void When_GradientsSolved_Expect_ForwardBitIdenticalToReferenceSolver()
    {
        var design = Twomoon();
        var inputs = InputReader.Random(40, 2, 3, RandomInputKind.StandardNormal);
        var options = SolverOptions.Dopri5(1e-6);
        var loss = new BoundaryLoss(design, 1);
        var forward = ReferenceSolver.Solve(design, inputs, options);
        var result = Sensitivities.Solve(design, inputs, loss.AsCaseLoss, options);
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.That(result.Cases[i].Output, Is.EqualTo(forward.Cases[i].Output), $"case {i}");
            for (int l = 0; l < design.Layers.Count; l++)
                Assert.That(result.Cases[i].Boundaries[l].State, Is.EqualTo(forward.Cases[i].Boundaries[l].State));
            Assert.That(result.Cases[i].Stats, Is.EqualTo(forward.Cases[i].Stats));
        }
    }

    [Test]
    public void When_ThreadCountChanges_Expect_SameBits()
    {
        var design = PinLevelDesign();
        var inputs = InputReader.Random(150, 3, 4, RandomInputKind.StandardNormal);
        var loss = new BoundaryLoss(design, 2);
        var options = SolverOptions.Dopri5(1e-7) with { ChunkSize = 8 };
        var one = Sensitivities.Solve(design, inputs, loss.AsCaseLoss, options, new SensitivityOptions { MaxDegreeOfParallelism = 1 });
        var many = Sensitivities.Solve(design, inputs, loss.AsCaseLoss, options, new SensitivityOptions { MaxDegreeOfParallelism = 4 });
        Assert.That(many.Loss, Is.EqualTo(one.Loss));
        for (int l = 0; l < design.Layers.Count; l++) Assert.That(many.ThetaGradients[l], Is.EqualTo(one.ThetaGradients[l]));
        Assert.That(many.TrimGradient, Is.EqualTo(one.TrimGradient));
        Assert.That(many.InputGradients, Is.EqualTo(one.InputGradients));
    }

    [Test]
    public void When_CheckpointIntervalChanges_Expect_SameGradientToRounding()
    {
        // every interval retraces the same steps, so only the summation order of the parameter sensitivities differs
        var design = DesignYamlLoad("spiral.yaml");
        var inputs = Support.RandomInputs(20, 2, 6);
        var loss = new BoundaryLoss(design, 3);
        var options = SolverOptions.Dopri5(1e-9);
        var one = Sensitivities.Solve(design, inputs, loss.AsCaseLoss, options, new SensitivityOptions { CheckpointInterval = 1 });
        var many = Sensitivities.Solve(design, inputs, loss.AsCaseLoss, options, new SensitivityOptions { CheckpointInterval = 13 });
        Assert.That(many.Stats.CheckpointStates, Is.LessThan(one.Stats.CheckpointStates));
        for (int i = 0; i < inputs.Length; i++)
            Assert.That(many.InitialStateGradients[i], Is.EqualTo(one.InitialStateGradients[i]), $"case {i}: lambda(0) comes from one case alone");
        for (int l = 0; l < design.Layers.Count; l++)
            for (int k = 0; k < one.ThetaGradients[l].Length; k++)
                Assert.That(many.ThetaGradients[l][k], Is.EqualTo(one.ThetaGradients[l][k]).Within(1e-12 * (1 + Math.Abs(one.ThetaGradients[l][k]))));
    }

    [Test]
    public void When_SlopesKeptOrRecomputed_Expect_SameBits()
    {
        // the kept slopes are the forward pass's own, so rebuilding the stages from them retraces it exactly; a budget
        // the steps outgrow falls back to re-running the stretches
        var design = DesignYamlLoad("spiral.yaml");
        var inputs = Support.RandomInputs(20, 2, 7);
        var loss = new BoundaryLoss(design, 3);
        var options = SolverOptions.Dopri5(1e-8);
        var kept = Sensitivities.Solve(design, inputs, loss.AsCaseLoss, options);
        var rerun = Sensitivities.Solve(design, inputs, loss.AsCaseLoss, options, new SensitivityOptions { SlopeBudgetBytes = 0 });
        var outgrown = Sensitivities.Solve(design, inputs, loss.AsCaseLoss, options, new SensitivityOptions { SlopeBudgetBytes = 6 * 8 * 3 * 10 });
        Assert.That(kept.Stats.RecomputeBatchedRhs, Is.Zero);
        Assert.That(rerun.Stats.RecomputeBatchedRhs, Is.GreaterThan(0));
        Assert.That(outgrown.Stats.RecomputeBatchedRhs, Is.EqualTo(rerun.Stats.RecomputeBatchedRhs));
        foreach (var other in new[] { rerun, outgrown })
        {
            Assert.That(other.Loss, Is.EqualTo(kept.Loss));
            for (int l = 0; l < design.Layers.Count; l++) Assert.That(other.ThetaGradients[l], Is.EqualTo(kept.ThetaGradients[l]));
            Assert.That(other.TrimGradient, Is.EqualTo(kept.TrimGradient));
            Assert.That(other.InitialStateGradients, Is.EqualTo(kept.InitialStateGradients));
        }
    }

    [Test]
    public void When_InputRepeatsOverNodes_Expect_InputGradientGathersThem()
    {
        var map = new InputMap(2, FillMode.Repeat);
        Assert.That(Sensitivities.InputGradient(map, 2, [1, 2, 3, 4, 5]), Is.EqualTo(new[] { 1.0 + 3 + 5, 2.0 + 4 }));
        Assert.That(Sensitivities.InputGradient(new InputMap(2), 2, [1, 2, 3]), Is.EqualTo(new[] { 1.0, 2 }));
    }

    [Test]
    public void When_RungeKuttaAsked_Expect_Refused()
    {
        var design = DesignYamlLoad("tiny.yaml");
        Assert.Throws<ArgumentException>(() => Sensitivities.Solve(design, [[1.0]], (_, _, _) => 0, SolverOptions.Rk4(0.01)));
    }

    internal static List<(int Layer, int Index)> AllParameters(Design design) =>
        design.Layers.SelectMany((l, li) => Enumerable.Range(0, l.Theta.Length).Select(k => (li, k))).ToList();

    /// <summary>Compares every trim and input gradient and the listed (layer, Theta index) gradients with central differences.</summary>
    internal static void CheckAgainstFiniteDifferences(Design design, double[][] inputs, IReadOnlyList<(int Layer, int Index)> parameters, double bound = 1e-6)
    {
        var loss = new BoundaryLoss(design, 11);
        var result = Sensitivities.Solve(design, inputs, loss.AsCaseLoss, Tight);
        Assert.That(result.Loss, Is.EqualTo(loss.Total(design, inputs)).Within(1e-15 * (1 + result.Loss)), "the forward pass is the reference's");

        double Central(Func<double, Design> with, double x) => Richardson(v => loss.Total(with(v), inputs), x);

        var thetaFd = parameters.Select(p => Central(v => WithParameter(design, p.Layer, p.Index, v), design.Layers[p.Layer].Theta[p.Index])).ToArray();
        var thetaAd = parameters.Select(p => result.ThetaGradients[p.Layer][p.Index]).ToArray();
        AssertClose("theta", thetaAd, thetaFd, bound, parameters.Select(p => $"layer {p.Layer} index {p.Index}").ToArray());

        var trims = design.NodeTrims ?? new double[design.NodeCount];
        var trimFd = Enumerable.Range(0, design.NodeCount).Select(k => Central(v =>
        {
            var t = (double[])trims.Clone();
            t[k] = v;
            return design.WithNodeTrims(t);
        }, trims[k])).ToArray();
        AssertClose("trim", result.TrimGradient, trimFd, bound, Enumerable.Range(1, design.NodeCount).Select(k => $"node {k}").ToArray());

        for (int i = 0; i < inputs.Length; i++)
        {
            int ci = i;
            var inputFd = Enumerable.Range(0, inputs[i].Length).Select(j => CentralInput(ci, j)).ToArray();
            AssertClose($"input of case {i}", result.InputGradients[i], inputFd, bound, Enumerable.Range(0, inputs[i].Length).Select(j => $"input {j}").ToArray());
        }

        double CentralInput(int i, int j) => Richardson(v =>
        {
            var row = (double[])inputs[i].Clone();
            row[j] = v;
            return ReferenceSolver.Solve(design, [row], Tight).Cases.Sum(c => loss.Evaluate(c.Boundaries, null));
        }, inputs[i][j]);
    }

    /// <summary>
    /// Central differences at steps h and h/2 combined to cancel the h^2 term (error O(h^4)), h = 1e-3 relative: the
    /// solver's ~1e-11 error over h stays near 1e-8.
    /// </summary>
    internal static double Richardson(Func<double, double> f, double x)
    {
        double h = 1e-3 * Math.Max(1, Math.Abs(x));
        double D(double s) => (f(x + s) - f(x - s)) / (2 * s);
        return (4 * D(h / 2) - D(h)) / 3;
    }

    internal static void AssertClose(string what, IReadOnlyList<double> adjoint, IReadOnlyList<double> fd, double bound, IReadOnlyList<string> names)
    {
        double scale = fd.Select(Math.Abs).DefaultIfEmpty(0).Max(), worst = 0;
        Assert.That(scale, Is.GreaterThan(0), $"{what}: every finite difference is zero, nothing is tested");
        for (int k = 0; k < fd.Count; k++)
        {
            double err = Math.Abs(adjoint[k] - fd[k]) / scale;
            worst = Math.Max(worst, err);
            Assert.That(err, Is.LessThanOrEqualTo(bound), $"{what} {names[k]}: adjoint {adjoint[k]:R} vs finite difference {fd[k]:R} (scale {scale:G3})");
        }
        TestContext.Out.WriteLine($"{what}: {fd.Count} components, largest |adjoint - fd| / max|fd| = {worst:E2} (max |fd| {scale:G4})");
    }

    internal static Design WithParameter(Design design, int layer, int index, double value)
    {
        var layers = design.Layers.ToArray();
        var l = layers[layer];
        var theta = (double[])l.Theta.Clone();
        theta[index] = value;
        layers[layer] = new Layer(l.TStart, l.TEnd, l.Model, l.Edges, theta);
        return design.With(layers: layers);
    }

    internal static Design DesignYamlLoad(string file) => ModelLoader.Load(Path.Combine(RepoPaths.Designs, file)).Design;

    internal static Design Twomoon() => ModelLoader.Load(RepoPaths.Model("twomoon", "model.pth")).Design;

    /// <summary>Two layers of <see cref="MismatchedTanh"/> on three nodes, ground included, each pair both ways.</summary>
    internal static Design PinLevelDesign(double lag = 0)
    {
        var model = new MismatchedTanh { Lag = lag };
        var pairs = (from s in Enumerable.Range(0, 4) from d in Enumerable.Range(0, 4) where s != d select (s, d)).ToArray();
        var rng = new Random(9);
        Layer Make(double t0, double t1)
        {
            int n = pairs.Length;
            var theta = new double[model.ParameterCount * n];
            for (int e = 0; e < n; e++)
            {
                theta[0 * n + e] = 1.5 * rng.NextDouble() - 0.75;  // a
                theta[1 * n + e] = 1.5 * rng.NextDouble() - 0.75;  // b
                theta[2 * n + e] = 0.6 * rng.NextDouble() - 0.3;   // c
                theta[3 * n + e] = 0.2 * rng.NextDouble() - 0.1;   // mismatch
                theta[4 * n + e] = 0.3 * rng.NextDouble();         // output conductance
            }
            return new Layer(t0, t1, model, EdgeList.FromPairs(pairs), theta);
        }
        return new Design("pins", 3, [Make(0, 0.6), Make(0.6, 1.0)], new InputMap(3), Readout.AllNodes);
    }

    private static double[] ExpTransposeTimes(double[,] g, double t, double[] c)
    {
        // Taylor series of exp(G^T t) c after squaring-free scaling: ||G t|| is below 2 here, so 40 terms are exact to rounding.
        int n = c.Length;
        var term = (double[])c.Clone();
        var sum = (double[])c.Clone();
        for (int k = 1; k < 40; k++)
        {
            var next = new double[n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) next[i] += g[j, i] * term[j] * t / k;
            term = next;
            for (int i = 0; i < n; i++) sum[i] += term[i];
        }
        return sum;
    }
}

/// <summary>
/// A pin-level test law: u = tanh(a vs + b vd + c); out of the source pin (1 + m) u + g vs, into the destination pin
/// (1 - m) u - g vd. Its two pins disagree by the mismatch m and each leaks through the output conductance g. It
/// keeps <see cref="DeviceModel.PinAdjoint"/>'s per-sample fallback, so the tests cover it.
/// </summary>
internal sealed class MismatchedTanh : DeviceModel
{
    /// <summary>Model time units the cell sees its nodes late.</summary>
    public double Lag { get; init; }
    public override double InputLag => Lag;

    public override string Name => "MismatchedTanh";
    public override string Equation => "out: (1 + p3) tanh(p0 vs + p1 vd + p2) + p4 vs; in: (1 - p3) tanh(...) - p4 vd";
    public override IReadOnlyList<string> ParameterNames { get; } = ["p0", "p1", "p2", "p3", "p4"];
    public override DeviceFamily Family => DeviceFamily.Tanh;
    public override bool DependsOnDifferenceOnly => false;
    public override Expr Law { get; } = Expr.Tanh(Expr.Vs * Expr.P(0) + Expr.Vd * Expr.P(1) + Expr.P(2));
    public override bool IsPinLevel => true;
    public override double Current(double vs, double vd, ReadOnlySpan<double> p) => PinCurrents(vs, vd, p).OutOfSource;
    public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p)
    {
        var g = PinGradient(vs, vd, p);
        return (g.SrcDVs, g.SrcDVd);
    }

    public override (double OutOfSource, double IntoDestination) PinCurrents(double vs, double vd, ReadOnlySpan<double> p)
    {
        double u = Math.Tanh(p[0] * vs + p[1] * vd + p[2]);
        return ((1 + p[3]) * u + p[4] * vs, (1 - p[3]) * u - p[4] * vd);
    }

    public override (double SrcDVs, double SrcDVd, double DstDVs, double DstDVd) PinGradient(double vs, double vd, ReadOnlySpan<double> p)
    {
        double u = Math.Tanh(p[0] * vs + p[1] * vd + p[2]), s = 1 - u * u;
        return ((1 + p[3]) * s * p[0] + p[4], (1 + p[3]) * s * p[1], (1 - p[3]) * s * p[0], (1 - p[3]) * s * p[1] - p[4]);
    }

    public override void PinParameterGradient(double vs, double vd, ReadOnlySpan<double> p, Span<double> outOfSource, Span<double> intoDestination)
    {
        double u = Math.Tanh(p[0] * vs + p[1] * vd + p[2]), s = 1 - u * u;
        double[] du = [s * vs, s * vd, s];
        for (int k = 0; k < 3; k++)
        {
            outOfSource[k] = (1 + p[3]) * du[k];
            intoDestination[k] = (1 - p[3]) * du[k];
        }
        outOfSource[3] = u; intoDestination[3] = -u;
        outOfSource[4] = vs; intoDestination[4] = -vd;
    }
}
