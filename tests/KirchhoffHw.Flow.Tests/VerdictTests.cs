using System.Text.Json;
using KirchhoffHw.Cells;
using KirchhoffHw.Import;
using KirchhoffHw.Import.Cases;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;
using KirchhoffHw.Report;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Flow.Tests;

/// <summary>
/// A report headlines "pass" only when every check holds; the sweep sizes cells by the library's own rules; an automatic
/// voltage scale keeps every node inside the rails.
/// </summary>
public class VerdictTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"kh-verdicts-{Guid.NewGuid():N}"));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static readonly string Tech = Path.Combine(RepoPaths.Designs, "tech", "ptm45hp.yaml");

    /// <summary>Tiny at a one-second time unit: its currents are picoamps, below anything the cell sizing builds.</summary>
    private FlowPlan SlowTiny() => new()
    {
        Design = Designs.Tiny.With(units: new Units(1e-12, 1.0, 0.2)),
        Source = "tiny.yaml",
        Inputs = [[0.8, -0.3, 0.1], [0.2, 0.5, -0.6]],
        InputOrigin = "literal",
        OutputDirectory = _dir,
        Command = "test",
        Jobs = 2,
        TechPath = Tech,
        Characterizers = Designs.Cached,
    };

    [Test]
    public void When_Verification_Passes_But_Bias_Fails_Expect_No_Pass_Headline_And_Marked_Figures()
    {
        var report = FlowRunner.Run(SlowTiny()).Report;
        Assert.That(report.VerificationStatus, Is.EqualTo(VerdictStatus.Pass), "the ideal circuit follows its reference");
        Assert.That(report.Counts.OutOfRange, Is.GreaterThan(0));
        Assert.That(report.Chip.Status, Is.EqualTo(ChipStatus.NotBuildable));
        Assert.That(report.Chip.Reasons.Select(r => r.Kind), Does.Contain(ReasonKind.DevicesOutsideBias));
        Assert.That(report.Chip.Headline, Does.StartWith("verified; not buildable:").And.Contain("devices outside the bias range"));

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "report.json")));
        var root = json.RootElement;
        Assert.That(root.GetProperty("verdict").GetString(), Is.EqualTo("not buildable"));
        Assert.That(root.GetProperty("verdict_reasons").EnumerateArray().Select(r => r.GetProperty("kind").GetString()), Does.Contain("devices_outside_bias"));
        Assert.That(root.GetProperty("headlines").EnumerateArray().Select(h => h.GetProperty("mark").GetString()), Has.All.EqualTo("not buildable"));
        var html = File.ReadAllText(Path.Combine(_dir, "report.html"));
        Assert.That(html, Does.Contain("verified; not buildable:").And.Contain("id=\"verdict\" class=\"verdict fail\">not buildable<"));
        Assert.That(File.ReadAllText(Path.Combine(_dir, "report.md")), Does.Contain("**verified; not buildable:"));
    }

    [Test]
    public void When_The_Sweep_Is_Computed_Expect_Each_Decade_Feasible_Exactly_When_The_Cell_Library_Builds_Every_Device()
    {
        var plan = SlowTiny() with { Verify = false };
        var report = FlowRunner.Run(plan).Report;
        var library = new CellStage(Tech, Designs.Cached).Library;
        var reference = ReferenceRun.Solve(plan.Design, plan.Inputs, plan.VerifyOptions.Reference, CellStage.RangeTimes(plan.Design));
        var ranges = CellStage.Ranges(reference);
        Assert.That(report.Sweep, Is.Not.Empty);
        foreach (var point in report.Sweep)
        {
            var design = plan.Design.With(units: plan.Design.Units with { TimeUnit = point.TimeUnit });
            // The mapping the generate stage writes as .cells.csv at that time unit.
            var mapping = new PhysicalMapping(design, library, ranges);
            long unbuildable = mapping.Layers.Sum(l => (long)l.Unrealizable);
            Assert.That(point.OutOfRange, Is.EqualTo(unbuildable), $"time unit {point.TimeUnit:G3} s");
            Assert.That(point.Feasible, Is.EqualTo(unbuildable == 0), $"time unit {point.TimeUnit:G3} s");
        }
        Assert.That(report.Sweep.Select(p => p.Feasible), Does.Contain(true).And.Contain(false), "tiny's decades span both sides of the sizing's limits");
        Assert.That(new PhysicalMapping(plan.Design, library, ranges).Layers.Sum(l => (long)l.Unrealizable), Is.EqualTo(report.Counts.OutOfRange),
            "the report's own count is the mapping's at the design's time unit");
        Assert.That(ChipEstimator.SweepVerdict(report.Sweep), Does.StartWith("Every device can be built at time units from"));
    }

    [Test]
    public void When_No_Decade_Can_Build_Every_Device_Expect_The_Binding_Limit_Named()
    {
        SweepPoint P(double tau, long outside, double floor) => new(tau, 1e-6 * 1e-9 / tau, outside == 0, 0, 0, 0, 0, 0, 1e-9 * 1e-9 / tau, outside, floor,
            double.NaN, "bias below what the technology allows", 1e-9 * 1e-9 / tau, 1e-6 * 1e-9 / tau);
        var sweep = new[] { P(1e-3, 10, 9e-6), P(1e-6, 10, 9e-6), P(1e-9, 3, 9e-6) };
        Assert.That(ChipEstimator.SweepVerdict(sweep), Does.StartWith("No decade can build every device").And.Contain("9 uA"));
    }

    [Test]
    public void When_The_Voltage_Scale_Is_Automatic_On_Twomoon_Expect_Every_Node_Inside_The_Rails()
    {
        var design = ModelLoader.Load(RepoPaths.Model("twomoon", "model.pth")).Design.With(units: new Units(1e-12, 1e-9, 1.0));
        var inputs = InputReader.Read(RepoPaths.Model("twomoon", "vectors.json"));
        AssertInsideRails(design, inputs);
    }

    [Test]
    public void When_The_Voltage_Scale_Is_Automatic_On_Mnist_Expect_Every_Node_Inside_The_Rails()
    {
        var design = ModelLoader.Load(RepoPaths.Model("mnist", "model.pth")).Design.With(units: new Units(1e-12, 1e-9, 1.0));
        var inputs = InputReader.Read(RepoPaths.Model("mnist", "vectors.json")).Take(1).ToArray();
        AssertInsideRails(design, inputs);
    }

    /// <summary>
    /// The scale is chosen on the report's grid; the check reads a grid four times finer, so a peak between grid points
    /// that ate the whole margin would show.
    /// </summary>
    private static void AssertInsideRails(Design design, double[][] inputs)
    {
        var tech = Technology.Load(Tech);
        var reference = ReferenceRun.Solve(design, inputs, SolverOptions.Golden, VoltageScaleStage.Times(design));
        var (scaled, _, choice) = VoltageScaleStage.Apply(reference, tech, VoltageScaleStage.DefaultMargin);
        Assert.That(scaled.Units.VoltageScale, Is.EqualTo(choice.Volts));
        Assert.That(choice.PeakModelVoltage * choice.Volts, Is.EqualTo(0.9 * choice.AllowedSwingVolts).Within(1e-12));
        var fine = design.Layers.SelectMany(l => Enumerable.Range(0, 4 * OperatingPoint.PointsPerLayer + 1).Select(i => l.TStart + l.Duration * i / (4 * OperatingPoint.PointsPerLayer))).Distinct().Order().ToList();
        var check = ReferenceRun.Solve(design, inputs, SolverOptions.Golden, fine);
        var x = new double[design.NodeCount];
        for (int i = 0; i < inputs.Length; i++)
        {
            design.Input.Apply(inputs[i], x);
            double peak = x.Max(Math.Abs);
            foreach (var t in fine) peak = Math.Max(peak, check.StateAt(i, t).Max(Math.Abs));
            Assert.That(peak * choice.Volts, Is.LessThanOrEqualTo(choice.AllowedSwingVolts), $"case {i}: {peak * choice.Volts:G4} V against +-{choice.AllowedSwingVolts:G4} V");
            Assert.That(peak * choice.Volts, Is.LessThanOrEqualTo(Math.Min(tech.Vdd, -tech.Vss)));
        }
    }
}
