namespace KirchhoffHw.Calibration.Tests;

/// <summary>The bound-constrained minimizer on problems with known answers, and how it stops when it cannot go on.</summary>
public class ProjectedLbfgsTests
{
    [Test]
    public void When_BoundedQuadraticMinimized_Expect_ClampedCentre()
    {
        // sum w_i (x_i - c_i)^2 with badly scaled weights: the minimum in the box is c clamped to it
        var rng = new Random(1);
        int n = 40;
        var w = Enumerable.Range(0, n).Select(i => Math.Pow(10, 3 * rng.NextDouble() - 1)).ToArray();
        var c = Enumerable.Range(0, n).Select(_ => 4 * rng.NextDouble() - 2).ToArray();
        var lower = Enumerable.Repeat(-1.0, n).ToArray();
        var upper = Enumerable.Repeat(1.0, n).ToArray();
        var result = ProjectedLbfgs.Minimize(x => new Evaluation(
            x.Select((v, i) => w[i] * (v - c[i]) * (v - c[i])).Sum(),
            x.Select((v, i) => 2 * w[i] * (v - c[i])).ToArray()), new double[n], lower, upper, LbfgsOptions.Default with { GradientTolerance = 1e-12, RelativeLossChange = 0 });
        Assert.That(result.Reason, Is.EqualTo(StopReason.Converged));
        for (int i = 0; i < n; i++) Assert.That(result.X[i], Is.EqualTo(Math.Clamp(c[i], -1, 1)).Within(1e-8), $"x{i}");
        Assert.That(result.LossPerIteration, Is.Ordered.Descending);
    }

    [Test]
    public void When_RosenbrockMinimized_Expect_ItsValley()
    {
        static Evaluation F(double[] x)
        {
            double a = 1 - x[0], b = x[1] - x[0] * x[0];
            return new Evaluation(a * a + 100 * b * b, [-2 * a - 400 * x[0] * b, 200 * b]);
        }
        var free = ProjectedLbfgs.Minimize(F, [-1.2, 1], [-5, -5], [5, 5], LbfgsOptions.Default with { GradientTolerance = 1e-10 });
        Assert.That(free.X, Is.EqualTo(new[] { 1.0, 1.0 }).Within(1e-6));
        // with x0 <= 0.5 the constrained minimum sits on the bound, at (0.5, 0.25)
        var bounded = ProjectedLbfgs.Minimize(F, [-1.2, 1], [-5, -5], [0.5, 5], LbfgsOptions.Default with { GradientTolerance = 1e-10 });
        Assert.That(bounded.X, Is.EqualTo(new[] { 0.5, 0.25 }).Within(1e-6));
    }

    [Test]
    public void When_GradientDisagreesWithLoss_Expect_NoDescentStatusNotACrash()
    {
        // the "gradient" points uphill: no step along it lowers the loss
        var result = ProjectedLbfgs.Minimize(x => new Evaluation(x[0] * x[0], [-2 * x[0] - 1]), [1.0], [-10], [10], LbfgsOptions.Default);
        Assert.That(result.Reason, Is.EqualTo(StopReason.NoDescent));
        Assert.That(result.X[0], Is.EqualTo(1.0));
    }

    [Test]
    public void When_IterationsRunOut_Expect_MaxIterationsAndTheBestPoint()
    {
        var result = ProjectedLbfgs.Minimize(x => new Evaluation(Math.Pow(x[0] - 3, 4), [4 * Math.Pow(x[0] - 3, 3)]), [0.0], [-10], [10],
            LbfgsOptions.Default with { MaxIterations = 3 });
        Assert.That(result.Reason, Is.EqualTo(StopReason.MaxIterations));
        Assert.That(result.Iterations, Is.EqualTo(3));
        Assert.That(result.LossPerIteration, Has.Count.EqualTo(4));
        Assert.That(result.Loss, Is.LessThan(81.0));
    }

    [Test]
    public void When_StartNotFinite_Expect_IterationZeroAndTheVariable()
    {
        var e = Assert.Throws<ProjectedLbfgs.NonFiniteException>(() => ProjectedLbfgs.Minimize(
            x => new Evaluation(x.Sum(), [1, double.NaN, 1]), [0, 0, 0], [-1, -1, -1], [1, 1, 1], LbfgsOptions.Default));
        Assert.That(e!.Iteration, Is.EqualTo(0));
        Assert.That(e.Variable, Is.EqualTo(1));
    }

    [Test]
    public void When_EveryTrialFails_Expect_TheIterationAndTheSolversReason()
    {
        int calls = 0;
        var e = Assert.Throws<ProjectedLbfgs.NonFiniteException>(() => ProjectedLbfgs.Minimize(x =>
        {
            if (calls++ > 0) throw new ProjectedLbfgs.ObjectiveFailedException("step size underflow");
            return new Evaluation(x[0] * x[0], [2 * x[0]]);
        }, [1.0], [-2], [2], LbfgsOptions.Default));
        Assert.That(e!.Iteration, Is.EqualTo(1));
        Assert.That(e.Message, Does.Contain("step size underflow"));
    }

    [Test]
    public void When_SomeTrialsFail_Expect_TheLineSearchBacksOff()
    {
        // beyond x = 0.5 the objective cannot be evaluated; the minimum at 0.4 is still found
        var result = ProjectedLbfgs.Minimize(x =>
        {
            if (x[0] > 0.5) throw new ProjectedLbfgs.ObjectiveFailedException("diverged");
            return new Evaluation((x[0] - 0.4) * (x[0] - 0.4), [2 * (x[0] - 0.4)]);
        }, [-3.0], [-5], [5], LbfgsOptions.Default with { FirstStep = 10 });
        Assert.That(result.X[0], Is.EqualTo(0.4).Within(1e-6));
    }
}
