using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Calibration.Tests;

/// <summary>
/// Calibration end to end: a student made of imperfect pin-level cells fitted back to its ideal teacher, on held-out
/// inputs it never trained on; then the ways a calibration must stop or refuse.
/// </summary>
public class CalibratorTests
{
    [Test]
    public void When_TwomoonCellsCalibrated_Expect_HeldOutErrorWithinFivePercentOfSpread()
    {
        // cells as measured (gain 2 %, offsets 2e-2 of range, 1 % mismatch, output conductance at 20 mV per unit)
        var problem = Fixtures.Problem(Fixtures.Twomoon(), CellImperfections.Measured(0.02), training: 64, heldOut: 64);
        var options = CalibrationOptions.Default with { Optimizer = LbfgsOptions.Default with { MaxIterations = 80 }, HeldOutEvery = 0 };
        var progress = new List<CalibrationProgress>();
        var result = Calibrator.Run(problem, options, progress.Add);
        var r = result.Record;
        TestContext.Out.WriteLine($"{r.Status} after {r.Iterations} iterations ({r.Evaluations} evaluations, {r.Seconds:F1} s): {r.Before} -> {r.After}");
        Assert.That(r.Before.RelativeError, Is.GreaterThan(0.3), "the imperfections matter before calibration");
        Assert.That(r.After.RelativeError, Is.LessThan(0.05));
        Assert.That(r.Loss[^1], Is.LessThan(0.01 * r.Loss[0]));
        Assert.That(progress.Select(p => p.Iteration), Is.EqualTo(Enumerable.Range(0, r.Iterations + 1)), "one report per iteration, the start first");
        Assert.That(progress[0].HeldOut, Is.EqualTo(r.Before));
        Assert.That(result.Calibrated.NodeTrims, Has.Length.EqualTo(2));
        AssertWithinBounds(problem, result.Calibrated);
    }

    [Test]
    public void When_ClassifierCellsCalibrated_Expect_EveryHeldOutArgmaxKept()
    {
        var problem = Fixtures.Problem(Fixtures.Classifier(), new CellImperfections(0.05, 0.05, 0.025, 0.01), training: 64, heldOut: 200);
        var result = Calibrator.Run(problem, CalibrationOptions.Default with { Optimizer = LbfgsOptions.Default with { MaxIterations = 60 }, HeldOutEvery = 0 });
        var r = result.Record;
        TestContext.Out.WriteLine($"{r.Status} after {r.Iterations} iterations ({r.Seconds:F1} s): {r.Before} -> {r.After}");
        Assert.That(r.Before.ArgmaxKept, Is.LessThan(180), "the imperfections flip classes before calibration");
        Assert.That(r.After.ArgmaxKept, Is.EqualTo(200));
        Assert.That(r.After.MeanLogitError, Is.LessThan(0.2 * r.Before.MeanLogitError!.Value));
    }

    [Test]
    public void When_ThreadCountChanges_Expect_SameCalibrationBits()
    {
        var problem = Fixtures.Problem(Fixtures.Classifier(), new CellImperfections(0.05, 0.05, 0.025, 0.01), training: 48, heldOut: 8);
        CalibrationResult Run(int threads) => Calibrator.Run(problem, CalibrationOptions.Default with
        {
            Optimizer = LbfgsOptions.Default with { MaxIterations = 12 },
            Sensitivity = new SensitivityOptions { BlockSize = 16, MaxDegreeOfParallelism = threads },
        });
        var (one, two) = (Run(1), Run(2));
        Assert.That(two.Record.Loss, Is.EqualTo(one.Record.Loss));
        Assert.That(two.Calibrated.NodeTrims, Is.EqualTo(one.Calibrated.NodeTrims));
        for (int l = 0; l < one.Calibrated.Layers.Count; l++) Assert.That(two.Calibrated.Layers[l].Theta, Is.EqualTo(one.Calibrated.Layers[l].Theta));
    }

    [Test]
    public void When_IterationsRunOut_Expect_StatusNotConverged()
    {
        var problem = Fixtures.Problem(Fixtures.Classifier(), new CellImperfections(0.05, 0.05, 0.025, 0.01), training: 16, heldOut: 8);
        var r = Calibrator.Run(problem, CalibrationOptions.Default with { Optimizer = LbfgsOptions.Default with { MaxIterations = 2 } }).Record;
        Assert.That(r.Status, Is.EqualTo(StopReason.MaxIterations));
        Assert.That(r.Converged, Is.False);
        Assert.That(r.Iterations, Is.EqualTo(2));
        Assert.That(r.Loss, Has.Count.EqualTo(3));
        Assert.That(r.Loss[2], Is.LessThan(r.Loss[0]));
    }

    [Test]
    public void When_HeldOutErrorStopsImproving_Expect_EarlyStopAfterThePatience()
    {
        // demanding a 100 % improvement at every check makes every check a stall; patience 0 turns the stop off
        var problem = Fixtures.Problem(Fixtures.Classifier(), new CellImperfections(0.05, 0.05, 0.025, 0.01), training: 16, heldOut: 8);
        var options = CalibrationOptions.Default with
        {
            Optimizer = LbfgsOptions.Default with { MaxIterations = 6 }, HeldOutEvery = 1, HeldOutPatience = 2, HeldOutImprovement = 1,
        };
        var progress = new List<CalibrationProgress>();
        var stalled = Calibrator.Run(problem, options, progress.Add).Record;
        Assert.That(stalled.Status, Is.EqualTo(StopReason.HeldOutStalled));
        Assert.That(stalled.Iterations, Is.EqualTo(2));
        Assert.That(stalled.Converged, Is.True, "stopping on the held-out error is a finished calibration");
        Assert.That(progress.Count(p => p.HeldOut is not null), Is.EqualTo(3), "before, and the two stalled checks");
        var patient = Calibrator.Run(problem, options with { HeldOutPatience = 0 }).Record;
        Assert.That(patient.Status, Is.EqualTo(StopReason.MaxIterations));
        Assert.That(patient.Iterations, Is.EqualTo(6));
    }

    [Test]
    public void When_TimeBudgetSpent_Expect_TimeBudgetStatusAndAUsableDesign()
    {
        var problem = Fixtures.Problem(Fixtures.Classifier(), new CellImperfections(0.05, 0.05, 0.025, 0.01), training: 16, heldOut: 8);
        var result = Calibrator.Run(problem, CalibrationOptions.Default with { TimeBudget = TimeSpan.Zero });
        Assert.That(result.Record.Status, Is.EqualTo(StopReason.TimeBudget));
        Assert.That(result.Record.Iterations, Is.EqualTo(0));
        Assert.That(result.Calibrated.Layers[0].Theta, Is.EqualTo(problem.Student.Layers[0].Theta));
        Assert.That(result.Record.After, Is.EqualTo(result.Record.Before));
    }

    [Test]
    public void When_StudentDoesNotMatchTeacher_Expect_EveryProblemAtOnce()
    {
        var teacher = Fixtures.Classifier();
        var problem = Fixtures.Problem(teacher, new CellImperfections(0, 0, 0, 0), training: 4, heldOut: 4);
        var other = Fixtures.Twomoon();
        var bad = new CalibrationProblem
        {
            Teacher = teacher,
            Student = other,
            TrainingInputs = problem.TrainingInputs,
            HeldOutInputs = [[double.NaN, 0, 0, 0]],
            Bounds = problem.Bounds.Take(1).ToList(),
            Trims = new TrimBounds([1], [-1], -2),
        };
        var e = Assert.Throws<KirchhoffHwException>(() => Calibrator.Run(bad));
        var text = string.Join("\n", e!.Diagnostics.Select(d => d.Message));
        Assert.That(e.Diagnostics.Select(d => d.Location.File), Is.All.EqualTo(other.Name));
        foreach (var expected in new[] { "nodes", "input map", "held-out input 0", "bounds are given for 1 layers", "trim bounds need 2 values", "trim cost" })
            Assert.That(text, Does.Contain(expected));
    }

    [Test]
    public void When_GradientGoesNonFinite_Expect_ErrorNamingIterationAndParameter()
    {
        // sqrt(p0) has an infinite slope at p0 = 0, where the one free parameter starts
        var layer = new Layer(0, 1, new SqrtConductance(), EdgeList.FromPairs([(1, 2)]), [0.0]);
        var teacher = new Design("sqrt", 2, [new Layer(0, 1, new Conductance(), EdgeList.FromPairs([(1, 2)]), [0.5])], new InputMap(2), Readout.AllNodes);
        var student = new Design("sqrt-student", 2, [layer], new InputMap(2), Readout.AllNodes);
        var problem = new CalibrationProblem
        {
            Teacher = teacher,
            Student = student,
            TrainingInputs = [[1.0, 0.0], [0.0, 1.0]],
            HeldOutInputs = [[0.5, 0.5]],
            Bounds = [new LayerBounds([-1.0], [1.0])],
        };
        var e = Assert.Throws<KirchhoffHwException>(() => Calibrator.Run(problem));
        TestContext.Out.WriteLine(e!.Message);
        Assert.That(e.Message, Does.StartWith("sqrt-student: calibration iteration 0"));
        Assert.That(e.Message, Does.Contain("layer 0, device 0 (1 -> 2), parameter p0 (= 0)"));
    }

    [Test]
    public void When_StudentCannotBeSolved_Expect_ClearErrorNoResult()
    {
        var teacher = Fixtures.Classifier();
        var problem = Fixtures.Problem(teacher, new CellImperfections(0, 0, 0, 0), training: 4, heldOut: 4);
        var options = CalibrationOptions.Default with { StudentSolver = SolverOptions.Dopri5(1e-6) with { MaxSteps = 3 } };
        var e = Assert.Throws<KirchhoffHwException>(() => Calibrator.Run(problem, options));
        Assert.That(e!.Message, Does.Contain("MaxSteps"));
    }

    private static void AssertWithinBounds(CalibrationProblem problem, Design calibrated)
    {
        for (int l = 0; l < calibrated.Layers.Count; l++)
        {
            var (theta, b, start) = (calibrated.Layers[l].Theta, problem.Bounds[l], problem.Student.Layers[l].Theta);
            for (int k = 0; k < theta.Length; k++)
            {
                Assert.That(theta[k], Is.InRange(b.Lower[k], b.Upper[k]));
                if (b.Lower[k] == b.Upper[k]) Assert.That(theta[k], Is.EqualTo(start[k]), "a fixed parameter never moves");
            }
        }
        var trims = calibrated.NodeTrims!;
        for (int k = 0; k < trims.Length; k++) Assert.That(trims[k], Is.InRange(problem.Trims!.Lower[k], problem.Trims.Upper[k]));
    }

    /// <summary>sqrt(p0) (vs - vd): a conductance whose sensitivity is infinite at p0 = 0.</summary>
    private sealed class SqrtConductance : DeviceModel
    {
        public override string Name => "SqrtConductance";
        public override string Equation => "sqrt(p0) * (vs - vd)";
        public override IReadOnlyList<string> ParameterNames { get; } = ["p0"];
        public override DeviceFamily Family => DeviceFamily.Linear;
        public override bool DependsOnDifferenceOnly => true;
        public override Expr Law { get; } = Expr.P(0) * (Expr.Vs - Expr.Vd);
        public override double Current(double vs, double vd, ReadOnlySpan<double> p) => Math.Sqrt(p[0]) * (vs - vd);
        public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p) => (Math.Sqrt(p[0]), -Math.Sqrt(p[0]));
        public override void ParameterGradient(double vs, double vd, ReadOnlySpan<double> p, Span<double> dIdp) => dIdp[0] = 0.5 / Math.Sqrt(p[0]) * (vs - vd);
    }
}
