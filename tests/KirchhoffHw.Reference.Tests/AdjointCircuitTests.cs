using KirchhoffHw.Model;

namespace KirchhoffHw.Reference.Tests;

/// <summary>
/// Theorem 2.1 of the KirchhoffNet paper in circuit form: the adjoint of a KirchhoffNet is a circuit of the same
/// topology, run backwards in time, whose every branch is its device linearized along the forward trajectory and
/// transposed. Built here explicitly and integrated as a linear circuit by its own fixed-step RK4, its node
/// voltages at t = 0 and the charges its meters collect must equal the solver's discrete-adjoint gradients.
/// </summary>
public class AdjointCircuitTests
{
    [Test]
    public void When_AdjointCircuitOfSpiralIntegrated_Expect_SolverGradients()
    {
        var spiral = SensitivityTests.DesignYamlLoad("spiral.yaml");
        // the two smooth layers (tanh laws): a fixed-step integrator loses its order at a ReLU kink
        Check(spiral.With(layers: spiral.Layers.Take(2).ToList()).WithNodeTrims([0.2, -0.1, 0.05]), [0.7, -0.2]);
    }

    [Test]
    public void When_AdjointCircuitOfPinLevelDesignIntegrated_Expect_SolverGradients()
    {
        // two pins that disagree make each adjoint branch a non-reciprocal two-port: the transposition is visible
        Check(SensitivityTests.PinLevelDesign(), [0.4, -0.6, 0.3]);
    }

    private static void Check(Design design, double[] input)
    {
        var loss = new SensitivityTests.BoundaryLoss(design, 21);
        var solver = Sensitivities.Solve(design, [input], loss.AsCaseLoss, SensitivityTests.Tight);
        var seeds = design.Layers.Select(_ => new double[design.NodeCount]).ToArray();
        loss.Evaluate(solver.Cases[0].Boundaries, seeds);

        var circuit = AdjointCircuit.Build(design, input, step: 1e-3);
        var (lambda0, theta, trims) = circuit.Integrate(seeds);

        Compare("lambda(0)", lambda0, solver.InitialStateGradients[0]);
        Compare("trim meters", trims, solver.TrimGradient);
        for (int l = 0; l < design.Layers.Count; l++) Compare($"layer {l} parameter meters", theta[l], solver.ThetaGradients[l]);
    }

    private static void Compare(string what, double[] circuit, double[] solver)
    {
        double scale = solver.Max(Math.Abs), worst = 0;
        Assert.That(scale, Is.GreaterThan(0));
        for (int k = 0; k < solver.Length; k++)
        {
            worst = Math.Max(worst, Math.Abs(circuit[k] - solver[k]) / scale);
            Assert.That(circuit[k], Is.EqualTo(solver[k]).Within(1e-9 * scale), $"{what} [{k}]");
        }
        TestContext.Out.WriteLine($"{what}: {solver.Length} values, largest difference {worst:E2} of {scale:G4}");
    }

    /// <summary>
    /// One branch of the adjoint circuit: between the forward device's two nodes, a linear two-port whose
    /// transconductances at time t are the device's pin Jacobian at the forward state, transposed. With adjoint node
    /// voltages (ls, ld) it drives -dIout/dvs ls + dIin/dvs ld into node s and -dIout/dvd ls + dIin/dvd ld into node d.
    /// Its meters integrate the parameter sensitivities -dIout/dp ls + dIin/dp ld.
    /// </summary>
    private sealed record Branch(int Layer, int Edge, int S, int D);

    private sealed class AdjointCircuit
    {
        private readonly Design _design;
        private readonly double _h;
        private readonly List<Branch>[] _branches;
        // forward states of nodes 0..N on each layer's grid of half steps: [layer][point]
        private readonly double[][][] _trajectory;

        private AdjointCircuit(Design design, double h, double[][][] trajectory)
        {
            _design = design;
            _h = h;
            _trajectory = trajectory;
            _branches = design.Layers.Select((layer, l) => Enumerable.Range(0, layer.Edges.Count)
                .Select(e => new Branch(l, e, layer.Edges.Source[e], layer.Edges.Destination[e])).ToList()).ToArray();
        }

        /// <summary>The forward trajectory by scalar RK4 at half the adjoint's step, every point kept (the linearization points).</summary>
        public static AdjointCircuit Build(Design design, double[] input, double step)
        {
            var v = new double[design.NodeCount + 1];
            design.Input.Apply(input, v.AsSpan(1));
            var trajectory = new double[design.Layers.Count][][];
            for (int l = 0; l < design.Layers.Count; l++)
            {
                var layer = design.Layers[l];
                int n = 2 * Steps(layer, step);
                double h = layer.Duration / n;
                var points = new double[n + 1][];
                points[0] = (double[])v.Clone();
                for (int i = 0; i < n; i++)
                {
                    double[] F(double[] x) => Rhs(design, layer, x);
                    var k1 = F(v);
                    var k2 = F(Axpy(v, h / 2, k1));
                    var k3 = F(Axpy(v, h / 2, k2));
                    var k4 = F(Axpy(v, h, k3));
                    for (int j = 1; j < v.Length; j++) v[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
                    points[i + 1] = (double[])v.Clone();
                }
                trajectory[l] = points;
            }
            return new AdjointCircuit(design, step, trajectory);
        }

        /// <summary>
        /// Runs the circuit from t = T down to 0: at the end of layer l its node voltages jump by the loss's
        /// sensitivity to that boundary, then the layer's branches drive it back through the slice. Returns the node
        /// voltages at t = 0 and the meters' charges.
        /// </summary>
        public (double[] Lambda0, double[][] Theta, double[] Trims) Integrate(double[][] seeds)
        {
            int nodes = _design.NodeCount;
            var lambda = new double[nodes + 1];
            var theta = _design.Layers.Select(l => new double[l.Theta.Length]).ToArray();
            var trims = new double[nodes];
            for (int l = _design.Layers.Count - 1; l >= 0; l--)
            {
                for (int k = 0; k < nodes; k++) lambda[k + 1] += seeds[l][k];
                var layer = _design.Layers[l];
                int n = Steps(layer, _h);
                double h = layer.Duration / n;
                var points = _trajectory[l];
                for (int i = n; i > 0; i--)
                {
                    // backwards in time: d(lambda)/d(tau) = branch injections, tau = t_end - t; meters likewise
                    var (v1, vm, v0) = (points[2 * i], points[2 * i - 1], points[2 * i - 2]);
                    var (k1, m1) = Drive(l, v1, lambda);
                    var (k2, m2) = Drive(l, vm, Axpy(lambda, h / 2, k1));
                    var (k3, m3) = Drive(l, vm, Axpy(lambda, h / 2, k2));
                    var (k4, m4) = Drive(l, v0, Axpy(lambda, h, k3));
                    for (int j = 1; j <= nodes; j++) lambda[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
                    int pt = theta[l].Length;
                    for (int k = 0; k < m1.Length; k++)
                    {
                        double charge = h / 6 * (m1[k] + 2 * m2[k] + 2 * m3[k] + m4[k]);
                        if (k < pt) theta[l][k] += charge;
                        else trims[k - pt] += charge;
                    }
                }
            }
            return (lambda[1..], theta, trims);
        }

        /// <summary>The adjoint branches' injections into each node, and the meters' rates (parameters, then trims).</summary>
        private (double[] Injection, double[] Meters) Drive(int l, double[] v, double[] lambda)
        {
            var layer = _design.Layers[l];
            int edges = layer.Edges.Count, pc = layer.Model.ParameterCount, nodes = _design.NodeCount;
            var injection = new double[nodes + 1];
            var meters = new double[pc * edges + nodes];
            Span<double> dOut = stackalloc double[pc], dIn = stackalloc double[pc];
            foreach (var br in _branches[l])
            {
                var p = layer.ParametersOf(br.Edge);
                var (sVs, sVd, dVs, dVd) = layer.Model.PinGradient(v[br.S], v[br.D], p);
                double ls = lambda[br.S], ld = lambda[br.D];
                injection[br.S] += -sVs * ls + dVs * ld;
                injection[br.D] += -sVd * ls + dVd * ld;
                layer.Model.PinParameterGradient(v[br.S], v[br.D], p, dOut, dIn);
                for (int k = 0; k < pc; k++) meters[k * edges + br.Edge] += -dOut[k] * ls + dIn[k] * ld;
            }
            injection[0] = 0;
            // each trim is a current source into its node, so its meter integrates the node's adjoint voltage
            for (int j = 1; j <= nodes; j++) meters[pc * edges + j - 1] = lambda[j];
            return (injection, meters);
        }

        private static int Steps(Layer layer, double step) => Math.Max(1, (int)Math.Ceiling(layer.Duration / step));

        private static double[] Rhs(Design design, Layer layer, double[] v)
        {
            var d = new double[v.Length];
            for (int e = 0; e < layer.Edges.Count; e++)
            {
                int s = layer.Edges.Source[e], t = layer.Edges.Destination[e];
                var (o, i) = layer.Model.PinCurrents(v[s], v[t], layer.ParametersOf(e));
                d[s] -= o;
                d[t] += i;
            }
            if (design.NodeTrims is { } trims) for (int k = 0; k < trims.Length; k++) d[k + 1] += trims[k];
            d[0] = 0;
            return d;
        }

        private static double[] Axpy(double[] y, double a, double[] x) => y.Zip(x, (p, q) => p + a * q).ToArray();
    }
}
