using System.Text.Json;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Flow.Tests;

/// <summary>The flow's stages: the reference solved once for all of them, cells characterized only when needed.</summary>
public class FlowRunnerTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"kh-flowrunner-{Guid.NewGuid():N}"));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private FlowPlan Plan(params Fidelity[] fidelities) => new()
    {
        Design = Designs.Tiny,
        Source = "tiny.yaml",
        Inputs = [[0.8, -0.3, 0.1], [0.2, 0.5, -0.6]],
        InputOrigin = "literal",
        OutputDirectory = _dir,
        Command = "test",
        Fidelities = fidelities,
        Jobs = 2,
        Characterizers = Designs.Cached,
    };

    [Test]
    public void When_A_Flow_Verifies_Two_Fidelities_Expect_One_Golden_Solve_For_Its_Input_Set()
    {
        var solver = new CountingSolver();
        var plan = Plan(Fidelity.Ideal, Fidelity.Macro) with { Solver = solver };
        var result = FlowRunner.Run(plan);
        var calls = solver.Calls;
        foreach (var (options, cases) in calls) TestContext.Out.WriteLine($"solve: {options.Method} rtol {options.RelTol:G3}, {cases} cases");
        Assert.That(result.Report.Verification.Select(v => v.Status), Has.None.EqualTo(VerdictStatus.NotRun), "both fidelities were verified");
        Assert.That(calls.Count(c => c.Options == plan.VerifyOptions.Reference), Is.EqualTo(1),
            "the golden reference is solved once and read by the range analysis, both verifications and the report");
        Assert.That(calls.Count(c => c.Options == SolverOptions.Dopri5(plan.DigitalTolerance)), Is.EqualTo(1),
            "the digital comparison's evaluation counts come from one solve at the training tolerance");
        Assert.That(calls, Has.Count.EqualTo(2));
        Assert.That(calls.Select(c => c.Cases), Has.All.EqualTo(plan.Inputs.Count));
    }

    [Test]
    public void When_Only_The_Ideal_Fidelity_Runs_Expect_No_Cell_Characterized_And_A_Report_Of_What_Needs_None()
    {
        var result = FlowRunner.Run(Plan(Fidelity.Ideal) with { Characterizers = _ => new ForbiddenCharacterizer() });
        var report = result.Report;
        Assert.That(report.VerificationStatus, Is.EqualTo(VerdictStatus.Pass));
        Assert.That(report.Chip.Status, Is.EqualTo(Report.ChipStatus.Incomplete), "verified, but no cells were sized: not a pass");
        Assert.That(report.Chip.Reasons.Select(r => r.Kind), Does.Contain(Report.ReasonKind.CellsNotSized));
        Assert.That(report.Counts.Sized, Is.False);
        Assert.That(report.BiasFeasible, Is.Null);
        Assert.That(report.Estimates.Select(e => e.Key), Is.SupersetOf(new[] { Report.EstimateKey.Latency, Report.EstimateKey.AreaCapacitors }));
        Assert.That(report.Has(Report.EstimateKey.EnergyPerInference), Is.False, "static energy needs sized cells");
        Assert.That(report.Plots.Select(p => p.Key), Has.None.StartsWith("cell_").And.None.StartsWith("sweep_"));
        var swing = report.Ranges.Single(r => r.Of == "reference");
        Assert.That(swing.MaxNodeVolts, Is.EqualTo(0.8 * 0.2).Within(1e-12), "tiny is a passive ladder: its largest node voltage is the largest input");
        Assert.That(report.CellNote, Does.Contain("--tech").And.Contain("--fidelity macro or transistor"));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "report.json")));
        Assert.That(json.RootElement.GetProperty("bias_feasible").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(json.RootElement.GetProperty("sweep").GetArrayLength(), Is.Zero);
        Assert.That(File.ReadAllText(Path.Combine(_dir, "report.html")), Does.Contain("not assessed"));
    }

    [Test]
    public void When_The_Technology_Is_Named_At_Ideal_Fidelity_Expect_Its_Cells_Characterized_For_The_Report()
    {
        var tech = Path.Combine(RepoPaths.Designs, "tech", "ptm45hp.yaml");
        var e = Assert.Throws<InvalidOperationException>(() => FlowRunner.Run(Plan(Fidelity.Ideal) with { TechPath = tech, Characterizers = _ => new ForbiddenCharacterizer() }));
        Assert.That(e!.Message, Does.Contain("characterized"));
        var sized = FlowRunner.Run(Plan(Fidelity.Ideal) with { TechPath = tech, Verify = false });
        Assert.That(sized.Report.Counts.Sized, Is.True);
        Assert.That(sized.Report.Plots.Select(p => p.Key), Does.Contain("cell_ota"));
    }
}
