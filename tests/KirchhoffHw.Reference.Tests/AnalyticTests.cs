using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Reference.Tests;

/// <summary>Circuits with closed forms: a conductance discharging a node's capacitor to ground is e^{-g t}.</summary>
public class AnalyticTests
{
    private static readonly Conductance G = new();

    [TestCase(SolverMethod.Dopri5)]
    [TestCase(SolverMethod.Rk4)]
    public void When_RcNodeDischarges_Expect_Exponential(SolverMethod method)
    {
        const double g = 1.7, v0 = 0.8;
        var design = Support.Single(G, 1, (0, 2, [(1, 0)], [g]));
        var options = SolverOptions.Dopri5(1e-10) with { Method = method, Rk4Step = 1e-3 };
        double[] times = [0, 0.3, 1.1, 2];
        var r = ReferenceSolver.Solve(design, [[v0]], options, times).Cases[0];

        Assert.That(r.Output[0], Is.EqualTo(v0 * Math.Exp(-g * 2)).Within(1e-10));
        Assert.That(r.Samples.Select(s => s.T), Is.EqualTo(times));
        foreach (var (t, state) in r.Samples)
            Assert.That(state[0], Is.EqualTo(v0 * Math.Exp(-g * t)).Within(1e-9), $"t={t}");
    }

    [Test]
    public void When_TwoLayersSwitchConductance_Expect_PiecewiseExponentialAtEachBoundary()
    {
        const double g1 = 0.5, g2 = 3.0, v0 = 1.0;
        var design = Support.Single(G, 1, (0, 0.5, [(1, 0)], [g1]), (0.5, 1.5, [(0, 1), (1, 0)], [0.0, g2]));
        var r = ReferenceSolver.Solve(design, [[v0]], SolverOptions.Dopri5(1e-10)).Cases[0];

        double v1 = v0 * Math.Exp(-g1 * 0.5), v2 = v1 * Math.Exp(-g2 * 1.0);
        Assert.That(r.Boundaries.Select(b => b.T), Is.EqualTo(new[] { 0.5, 1.5 }));
        Assert.That(r.Boundaries[0].State[0], Is.EqualTo(v1).Within(1e-10));
        Assert.That(r.Boundaries[1].State[0], Is.EqualTo(v2).Within(1e-10));
        Assert.That(r.Stats.Accepted, Is.GreaterThan(0));
        Assert.That(r.Stats.RhsEvaluations, Is.GreaterThanOrEqualTo(6 * (r.Stats.Accepted + r.Stats.Rejected)));
    }

    [Test]
    public void When_TwoNodesShareConductance_Expect_ChargeConservedAndDifferenceDecays()
    {
        // Only node-to-node devices: the total charge v1 + v2 is constant, the difference decays as e^{-2 g t}.
        const double g = 2.0, t = 0.7;
        var design = Support.Single(G, 2, (0, t, [(1, 2)], [g]));
        var r = ReferenceSolver.Solve(design, [[1.0, -0.2]], SolverOptions.Dopri5(1e-10)).Cases[0];

        Assert.That(r.Output[0] + r.Output[1], Is.EqualTo(0.8).Within(1e-12));
        Assert.That(r.Output[0] - r.Output[1], Is.EqualTo(1.2 * Math.Exp(-2 * g * t)).Within(1e-10));
    }

    [Test]
    public void When_ToleranceTightens_Expect_MoreStepsAndSmallerError()
    {
        var design = Support.Single(G, 1, (0, 3, [(1, 0)], [2.0]));
        double exact = Math.Exp(-6);
        var loose = ReferenceSolver.Solve(design, [[1.0]], SolverOptions.Dopri5(1e-3)).Cases[0];
        var tight = ReferenceSolver.Solve(design, [[1.0]], SolverOptions.Dopri5(1e-9)).Cases[0];

        Assert.That(tight.Stats.Accepted, Is.GreaterThan(loose.Stats.Accepted));
        Assert.That(Math.Abs(tight.Output[0] - exact), Is.LessThan(Math.Abs(loose.Output[0] - exact)));
        Assert.That(Math.Abs(loose.Output[0] - exact), Is.LessThan(1e-3));
    }

    [Test]
    public void When_DevicesLagTheNode_Expect_TheLagsFirstOrder_AndTheExactLagWithinItsSquare()
    {
        // a conductance that sees its node tau late: v' = -g u, u' = (v - u) / tau, u(0) = v(0) = v0
        const double g = 1.7, v0 = 0.8, tau = 0.01, t = 2;
        var design = Support.Single(G, 1, (0, t, [(1, 0)], [g]));
        var options = SolverOptions.Dopri5(1e-10);
        double lagged = ReferenceSolver.Solve(design, [[v0]], options, tau).Cases[0].Output[0];
        double plain = ReferenceSolver.Solve(design, [[v0]], options).Cases[0].Output[0];
        Assert.That(new LaggedSolver(tau).Solve(design, [[v0]], options).Cases[0].Output[0], Is.EqualTo(lagged));

        // first order: the devices see v - tau v' = (1 + g tau) v
        Assert.That(lagged, Is.EqualTo(v0 * Math.Exp(-g * (1 + g * tau) * t)).Within(1e-9));
        // the exact lag: roots of tau s^2 + s + g = 0, v(0) = v0, v'(0) = -g v0
        double root = Math.Sqrt(1 - 4 * g * tau), s1 = (-1 + root) / (2 * tau), s2 = (-1 - root) / (2 * tau);
        double b = (-g * v0 - s1 * v0) / (s2 - s1), a = v0 - b;
        double exact = a * Math.Exp(s1 * t) + b * Math.Exp(s2 * t);
        TestContext.Out.WriteLine($"no lag {plain:G6}, first order {lagged:G6}, exact {exact:G6}");
        Assert.That(Math.Abs(lagged - exact), Is.LessThan(0.1 * Math.Abs(lagged - plain)), "the first order carries the lag's effect");
        Assert.That(Math.Abs(lagged - exact), Is.LessThan(2 * (g * tau) * (g * tau) * v0));
    }

    [Test]
    public void When_LagIsNegativeOrInfinite_Expect_Refused()
    {
        var design = Support.Single(G, 1, (0, 1, [(1, 0)], [1.0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReferenceSolver.Solve(design, [[1.0]], SolverOptions.Dopri5(1e-8), -1e-3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LaggedSolver(double.PositiveInfinity));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LaggedSolver(double.NaN));
    }
}
