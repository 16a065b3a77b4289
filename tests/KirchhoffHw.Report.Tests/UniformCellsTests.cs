using KirchhoffHw.Import;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Report.Tests;

/// <summary>
/// The report without a characterized library: stated per-model cell figures and one bias current for every
/// device, set by the largest current any device carries on the reference trajectories.
/// </summary>
public class UniformCellsTests
{
    private static readonly EstimateInputs Stated = new()
    {
        TechName = "stated", Vdd = 0.9, Vss = -0.9, MinBiasCurrent = 1e-9, MaxBiasCurrent = 1e-4, CapacitorDensity = 2e-3,
        SwitchAreaM2 = 1e-13, SwitchGateCapacitance = 2e-15,
        Cells = [new CellFigures("Conductance", 15, 1, 5e-13, "stated for this test")],
    };

    [Test]
    public void When_Costing_The_Rc_Ladder_Expect_The_Peak_Current_And_Per_Device_Figures_By_Hand()
    {
        var design = ModelLoader.Load(Path.Combine(RepoPaths.Designs, "tiny.yaml")).Design.With(units: new Units(1e-12, 1e-6, 0.5));
        double[] input = [0.8, -0.3, 0.1];
        var report = ReportBuilder.Build(Request(design, Stated, [input]));
        // Conductances only decay the state (a passive ladder), so the largest |p0 (vs - vd)| is at t = 0.
        var layer = design.Layers[0];
        double peak = Enumerable.Range(0, layer.Edges.Count).Max(e =>
        {
            double V(int n) => n == 0 ? 0 : input[n - 1];
            return Math.Abs(layer.Theta[e] * (V(layer.Edges.Source[e]) - V(layer.Edges.Destination[e])));
        });
        Assert.That(report.PeakModelCurrent, Is.EqualTo(peak).Within(1e-12));
        double bias = peak * design.Units.CurrentScale;
        var costs = report.Counts.Layers[0].Costs;
        Assert.That(costs.SupplyCurrent, Is.EqualTo(4 * bias).Within(1e-24));
        Assert.That(costs.CellArea, Is.EqualTo(4 * 15 * 5e-13).Within(1e-24));
        Assert.That(report.Counts.Transistors, Is.EqualTo(4 * 15 + 3 * 2));
        Assert.That(report[EstimateKey.PowerStatic], Is.EqualTo(4 * bias * 1.8).Within(1e-9 * 4 * bias * 1.8));
        Assert.That(report.BiasFeasible, Is.EqualTo(bias is >= 1e-9 and <= 1e-4));
        Assert.That(report.VerificationStatus, Is.EqualTo(Verify.VerdictStatus.NotRun));
        Assert.That(report.Chip.Reasons.Select(r => r.Kind), Does.Contain(ReasonKind.NotVerified));
        Assert.That(report.Chip.Status, Is.Not.EqualTo(ChipStatus.Pass));
    }

    [Test]
    public void When_An_Input_Is_Impossible_Expect_A_Bad_Input_Error_Naming_It()
    {
        var design = ModelLoader.Load(Path.Combine(RepoPaths.Designs, "tiny.yaml")).Design;
        var e = Assert.Throws<KirchhoffHwException>(() => ReportBuilder.Build(Request(design, Stated with { Vdd = -1 }, [])));
        Assert.That(e!.Message, Does.Contain("Vdd"));
    }

    /// <summary>A report request on <paramref name="cases"/>: the reference solved here, as the report stage would.</summary>
    private static ReportRequest Request(Design design, EstimateInputs inputs, double[][] cases) => new()
    {
        Design = design, Source = "tiny.yaml", Inputs = inputs,
        Reference = ReferenceRun.Solve(design, cases, SolverOptions.Golden, OperatingPoint.Grid(design)),
        Digital = ReferenceSolver.Solve(design, cases, SolverOptions.Dopri5(1e-3)),
        Repro = new Reproducibility("test", "literal", null, cases, []),
    };

    [TestCase(2.0508e-8, "m^2", "20508 um^2")]
    [TestCase(1.741e-6, "m^2", "1.741 mm^2")]
    [TestCase(33.85e-12, "J", "33.85 pJ")]
    [TestCase(460136, "", "460,136")]
    [TestCase(6e7, "1/s", "60 M/s")]
    [TestCase(0.001, "A", "1 mA")]
    public void When_Formatting_For_People_Expect_Prefixes_And_Four_Digits(double value, string unit, string expected) =>
        Assert.That(Format.Quantity(value, unit), Is.EqualTo(expected));
}
