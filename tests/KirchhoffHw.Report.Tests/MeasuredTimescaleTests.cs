using System.Text.Json;
using KirchhoffHw.Cells;
using KirchhoffHw.Import;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Report.Tests;

/// <summary>
/// A measured timescale (`verify --time-units`) in the report: its points in report.json and the tables, beside the
/// estimated sweep's buildable decades, and its plot; a sweep file read back as written and checked against the
/// design; and a transistor deck's own count in the counts, beside the cell figures' that the estimates use.
/// </summary>
public class MeasuredTimescaleTests
{
    private static readonly EstimateInputs Stated = new()
    {
        TechName = "stated", Vdd = 0.9, Vss = -0.9, MinBiasCurrent = 1e-9, MaxBiasCurrent = 1e-4, CapacitorDensity = 2e-3,
        SwitchAreaM2 = 1e-13, SwitchGateCapacitance = 2e-15,
        Cells = [new CellFigures("Conductance", 15, 1, 5e-13, "stated for this test")],
    };

    private static Design Tiny => ModelLoader.Load(Path.Combine(RepoPaths.Designs, "tiny.yaml")).Design.With(units: new Units(1e-12, 1e-6, 0.5));

    private static ReportRequest Request(Design design)
    {
        double[][] cases = [[0.8, -0.3, 0.1]];
        return new()
        {
            Design = design, Source = "tiny.yaml", Inputs = Stated,
            Reference = ReferenceRun.Solve(design, cases, SolverOptions.Golden, OperatingPoint.Grid(design)),
            Digital = ReferenceSolver.Solve(design, cases, SolverOptions.Dopri5(1e-3)),
            Repro = new Reproducibility("test", "literal", null, cases, []),
        };
    }

    private static TimescaleSweep Sweep(Design design) => new(design.Name, design.Fingerprint(), CircuitFidelity.Of(Fidelity.Transistor, "ptm45hp", "typical"),
        design.Units.Capacitance, design.Units.VoltageScale,
    [
        new(1e-9, "ts.t0.json", 0.9, 0.5, 0.4, 0.02, 4, 4, false),
        new(1e-8, "ts.t1.json", 0.05, 0.03, 0.02, 0.02, 4, 4, false),
        new(1e-7, "ts.t2.json", 0.004, 0.002, 0.001, 0.02, 4, 4, true),
        new(3e-7, "ts.t3.json", 0.003, 0.002, 0.001, 0.02, 4, 4, true),
    ]);

    private static JsonElement Json(ChipReport report)
    {
        var stream = new MemoryStream();
        ReportJson.Write(stream, report);
        return JsonDocument.Parse(stream.ToArray()).RootElement;
    }

    [Test]
    public void When_A_Sweep_Is_Reported_Expect_Its_Points_Buildable_Decades_Fastest_Time_Unit_And_Plot()
    {
        var design = Tiny;
        var sweep = Sweep(design);
        var report = ReportBuilder.Build(Request(design) with { Timescale = new MeasuredTimescale(sweep, "ts.json") });
        Assert.That(report.Sweep, Is.Not.Empty, "stated cells are sized: the estimated sweep is there to compare with");
        var m = Json(report).GetProperty("measured_timescale");
        Assert.That(m.GetProperty("fastest_passing_time_unit_s").GetDouble(), Is.EqualTo(1e-7));
        Assert.That(m.GetProperty("design_fingerprint").GetString(), Is.EqualTo(design.Fingerprint()));
        var points = m.GetProperty("time_units").EnumerateArray().ToList();
        Assert.That(points.Select(p => p.GetProperty("max_output_error").GetDouble()), Is.EqualTo(sweep.Points.Select(p => p.MaxOutputError!.Value)));
        for (int i = 0; i < points.Count; i++)
        {
            // a decade takes the estimated sweep's verdict there; 300 ns is not a decade of the sweep
            var at = report.Sweep.SingleOrDefault(p => Math.Abs(Math.Log10(p.TimeUnit) - Math.Log10(sweep.Points[i].TimeUnit)) < 1e-9);
            var b = points[i].GetProperty("buildable_estimate");
            if (at is null) Assert.That(b.ValueKind, Is.EqualTo(JsonValueKind.Null));
            else Assert.That(b.GetBoolean(), Is.EqualTo(at.Feasible));
        }
        Assert.That(points[3].GetProperty("buildable_estimate").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(report.Headlines.Single(h => h.Key == "fastest_passing_time_unit_s").Value, Is.EqualTo(1e-7));
        var plot = report.Plots.Single(p => p.Key == "timescale_measured");
        Assert.That(plot.Png.Length, Is.GreaterThan(1000));
        var view = ReportView.Of(report);
        Assert.That(view.Timescale.Select(t => t.Verdict), Is.EqualTo(new[] { "FAIL", "FAIL", "pass", "pass" }));
        Assert.That(view.Timescale.Select(t => t.IsFastest), Is.EqualTo(new[] { false, false, true, false }));
        Assert.That(view.TimescaleNote, Does.Contain("The fastest time unit whose verdict passes is 100 ns"));
    }

    [Test]
    public void When_No_Time_Unit_Was_Co_Simulated_Expect_No_Plot_And_Rows_Saying_So()
    {
        var design = Tiny;
        var sweep = Sweep(design) with { Points = [new(1e-8, "a.json", null, null, null, null, null, null, null), new(1e-7, "b.json", null, null, null, null, null, null, null)] };
        var report = ReportBuilder.Build(Request(design) with { Timescale = new MeasuredTimescale(sweep, "ts.json") });
        Assert.That(report.Plots.Any(p => p.Key == "timescale_measured"), Is.False);
        Assert.That(report.Headlines.Any(h => h.Key == "fastest_passing_time_unit_s"), Is.False);
        Assert.That(ReportView.Of(report).Timescale.Select(t => t.Verdict), Is.All.EqualTo("not co-simulated"));
        Assert.That(Json(report).GetProperty("measured_timescale").GetProperty("fastest_passing_time_unit_s").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public void When_A_Sweep_File_Is_Saved_Expect_It_Read_Back_And_Checked_Against_The_Design()
    {
        var design = Tiny;
        var sweep = Sweep(design);
        var path = Path.Combine(Path.GetTempPath(), $"kh-ts-{Guid.NewGuid():N}.json");
        try
        {
            sweep.Save(path);
            Assert.That(TimescaleSweep.IsSweepFile(path), Is.True);
            var back = TimescaleSweep.Load(path);
            Assert.That(back with { Points = [] }, Is.EqualTo(sweep with { Points = [] }));
            Assert.That(back.Points, Is.EqualTo(sweep.Points));
            Assert.That(back.FastestPassing, Is.EqualTo(1e-7));
            Assert.DoesNotThrow(() => back.Check(design.With(units: design.Units with { TimeUnit = 1 }), path), "the time unit is what a sweep varies");
            var other = design.With(layers: [new Layer(design.Layers[0].TStart, design.Layers[0].TEnd, design.Layers[0].Model, design.Layers[0].Edges,
                design.Layers[0].Theta.Select(t => t * 1.001).ToArray()), .. design.Layers.Skip(1)]);
            Assert.That(other.Fingerprint(), Is.Not.EqualTo(design.Fingerprint()));
            var e = Assert.Throws<KirchhoffHwException>(() => back.Check(other, path));
            Assert.That(e!.Message, Does.Contain("another design named"));
            e = Assert.Throws<KirchhoffHwException>(() => back.Check(design.With(units: design.Units with { Capacitance = 2e-12 }), path));
            Assert.That(e!.Message, Does.Contain("not at the report's C = 2E-12 F"));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void When_The_Deck_Was_Counted_Expect_Its_Count_With_The_Cell_Figures_Beside_It()
    {
        var design = Tiny;
        var plain = ReportBuilder.Build(Request(design));
        Assert.That(plain.Counts.Transistors, Is.EqualTo(4 * 15 + 3 * 2));
        Assert.That(Json(plain).GetProperty("counts").GetProperty("deck").ValueKind, Is.EqualTo(JsonValueKind.Null));

        var report = ReportBuilder.Build(Request(design) with { Deck = new DeckCount("test cells", 100, 20) });
        Assert.That(report.Counts.Transistors, Is.EqualTo(120));
        Assert.That(report.Counts.EstimatedTransistors, Is.EqualTo(4 * 15 + 3 * 2));
        Assert.That(report[EstimateKey.AreaCells], Is.EqualTo(plain[EstimateKey.AreaCells]), "the estimates are the cell figures'");
        var json = Json(report);
        var counts = json.GetProperty("counts");
        Assert.That(counts.GetProperty("transistors").GetInt64(), Is.EqualTo(120));
        Assert.That(counts.GetProperty("estimated_transistors").GetInt64(), Is.EqualTo(66));
        Assert.That(counts.GetProperty("deck").GetProperty("family").GetString(), Is.EqualTo("test cells"));
        Assert.That(counts.GetProperty("transistor_origin").GetString(), Does.Contain("test cells"));
        Assert.That(json.GetProperty("fan_in_budget").GetProperty("transistors").GetInt64(), Is.EqualTo(120));
    }

    [Test]
    public void When_The_Deck_Builds_Devices_At_Its_Units_Limit_Expect_A_Chip_That_Is_Not_Buildable_As_Trained()
    {
        var design = Tiny;
        var plain = ReportBuilder.Build(Request(design) with { Deck = new DeckCount("test cells", 100, 20) });
        Assert.That(plain.Chip.Reasons.Select(r => r.Kind), Has.None.EqualTo(ReasonKind.DevicesOutsideBias), "the stated cells build every device");

        var limited = ReportBuilder.Build(Request(design) with { Deck = new DeckCount("test cells", 100, 20) { DevicesAtLimit = 3, FirstLimit = "device 0_1: bias below the unit" } });
        var reason = limited.Chip.Reasons.Single(r => r.Kind == ReasonKind.DevicesOutsideBias);
        Assert.That(reason.Text, Does.StartWith("3 of 4 devices outside the bias range"));
        var json = Json(limited);
        Assert.That(json.GetProperty("verdict").GetString(), Is.Not.EqualTo("pass"));
        Assert.That(json.GetProperty("counts").GetProperty("deck").GetProperty("devices_at_limit").GetInt64(), Is.EqualTo(3));
    }

    [Test]
    public void When_The_Deck_Boosts_Currents_And_Capacitances_Expect_The_Built_Node_Capacitance_Stated()
    {
        var design = Tiny;
        string[] Keys(ChipReport r) => Json(r).GetProperty("headlines").EnumerateArray().Select(h => h.GetProperty("key").GetString()!).ToArray();
        Assert.That(Keys(ReportBuilder.Build(Request(design) with { Deck = new DeckCount("test cells", 100, 20) })), Has.None.EqualTo("node_capacitance_built_f"));

        var boosted = ReportBuilder.Build(Request(design) with { Deck = new DeckCount("test cells", 100, 20) { CapacitanceBoost = 5.5 } });
        var json = Json(boosted);
        Assert.That(json.GetProperty("counts").GetProperty("deck").GetProperty("capacitance_boost").GetDouble(), Is.EqualTo(5.5));
        var built = json.GetProperty("headlines").EnumerateArray().Single(h => h.GetProperty("key").GetString() == "node_capacitance_built_f");
        Assert.That(built.GetProperty("value").GetDouble(), Is.EqualTo(5.5e-12).Within(1e-24));
        Assert.That(built.GetProperty("label").GetString(), Does.Contain("x 5.5"));

        // the estimates are of the chip the deck builds: the design at 5.5 times its capacitance (and currents)
        var asBuilt = ReportBuilder.Build(Request(design.With(units: design.Units with { Capacitance = 5.5e-12 })));
        var plain = ReportBuilder.Build(Request(design) with { Deck = new DeckCount("test cells", 100, 20) });
        foreach (var key in new[] { EstimateKey.AreaCapacitors, EstimateKey.EnergyPrecharge, EstimateKey.Latency })
        {
            double lifted = boosted.Estimates.Single(e => e.Key == key).Value, expected = asBuilt.Estimates.Single(e => e.Key == key).Value;
            Assert.That(lifted, Is.EqualTo(expected).Within(1e-9).Percent, key.Json());
            Assert.That(lifted, Is.GreaterThan(plain.Estimates.Single(e => e.Key == key).Value), $"{key.Json()} grows with the boost");
        }
    }

    [Test]
    public void When_Counting_Mos_In_Spice_Text_Expect_Subcircuits_Expanded_And_Continuations_Joined()
    {
        using var counter = new MosCounter();
        counter.Write("""
            * a comment: M1 is not a transistor
            .subckt inner a b
            M1 a b 0 0 nmos w=1u l=1u
            M2 a b 0 0 pmos w=1u l=1u
            .ends inner
            .subckt outer a b k=1
            Xi a b inner
            m3 a a 0 0 nmos
            .ends outer
            Xo1 n1 n2 outer k=2
            Xo2 n1 n2
            + outer k=3
            Mtop n1 n2 0 0 nmos
            Xlib n1 n2 somelibcell
            """);
        Assert.That(counter.Transistors, Is.EqualTo(2 * 3 + 1));
    }
}
