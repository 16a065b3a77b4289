using System.Text.Json;

namespace KirchhoffHw.Report.Tests;

/// <summary>The one-command flow as a user meets it: what it writes, that it repeats exactly, that failures are reported.</summary>
public class FlowTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"kh-flow-{Guid.NewGuid():N}"));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void When_The_Flow_Runs_Expect_Decks_Verilog_Verdicts_Reports_And_A_Summary()
    {
        foreach (var file in new[] { "report.html", "report.md", "report.json", "spiral.ideal.cir", "verdict.ideal.json",
                     "verilog-ams/spiral_devices.va", "verilog-ams/spiral_top.vams", "verilog-ams/spiral_tb.vams", "plots/waveforms.png" })
            Assert.That(new FileInfo(Path.Combine(Reports.Spiral, file)).Length, Is.GreaterThan(0), file);
        var (_, output, _) = Reports.SpiralRun;
        Assert.That(output, Does.Contain("Energy per inference").And.Contain("verification (ideal)").And.Contain("time: verify ideal"));
        Assert.That(output.TrimEnd().Split('\n')[^1], Is.EqualTo($"report: {Path.GetFullPath(Path.Combine(Reports.Spiral, "report.html"))}"));
        var r = Reports.Json(Reports.Spiral);
        // Spiral verifies; the headline is "pass" exactly when its cells can also be built and its nodes fit the rails,
        // and otherwise names what fails (the report's own figures decide, not this test).
        Assert.That(r.GetProperty("verification")[0].GetProperty("status").GetString(), Is.EqualTo("pass"));
        bool buildable = r.GetProperty("bias_feasible").GetBoolean() && r.GetProperty("ranges").EnumerateArray().All(x => x.GetProperty("nodes_within_rails").GetBoolean());
        Assert.That(r.GetProperty("verdict").GetString(), Is.EqualTo(buildable ? "pass" : "not buildable"));
        Assert.That(r.GetProperty("verdict_reasons").GetArrayLength() == 0, Is.EqualTo(buildable));
        if (!buildable) Assert.That(r.GetProperty("verdict_headline").GetString(), Does.StartWith("verified; not buildable:"));
        Assert.That(r.GetProperty("verification")[0].GetProperty("summary").GetProperty("passed").GetInt32(), Is.EqualTo(6));
        foreach (var plot in r.GetProperty("plots").EnumerateArray())
            Assert.That(File.Exists(Path.Combine(Reports.Spiral, plot.GetProperty("file").GetString()!)), plot.GetProperty("file").GetString());
        var keys = r.GetProperty("plots").EnumerateArray().Select(p => p.GetProperty("key").GetString()).ToList();
        Assert.That(keys, Is.SupersetOf(new[] { "waveforms", "errors_ideal", "sweep_current", "sweep_power", "cell_ota", "cell_rectifier" }));
    }

    [Test]
    public void When_Random_Inputs_Are_Drawn_Expect_The_Seed_And_Every_Vector_In_The_Report()
    {
        var repro = Reports.Json(Reports.Spiral).GetProperty("reproducibility");
        Assert.That(repro.GetProperty("seed").GetInt32(), Is.EqualTo(11));
        var inputs = repro.GetProperty("inputs").EnumerateArray().Select(v => v.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToList();
        var design = Import.ModelLoader.Load(Path.Combine(RepoPaths.Designs, "spiral.yaml")).Design;
        var again = Import.Cases.InputReader.Random(6, design.Input.Width, 11, Import.Cases.RandomInputKind.StandardNormal);
        Assert.That(inputs, Is.EqualTo(again), "the recorded inputs are the ones the seed draws");
        var verdict = JsonDocument.Parse(File.ReadAllText(Path.Combine(Reports.Spiral, "verdict.ideal.json"))).RootElement;
        Assert.That(verdict.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("input").EnumerateArray().Select(x => x.GetDouble()).ToArray()), Is.EqualTo(inputs));
        Assert.That(repro.GetProperty("command").GetString(), Does.Contain("--seed 11").And.Contain("--random 6"));
    }

    [Test]
    public void When_The_Flow_Runs_Twice_Expect_Identical_Reports_Apart_From_The_Timestamp()
    {
        // The same command twice (the output directory is part of the recorded command): the first run is moved aside.
        var out_ = Path.Combine(_dir, "out");
        var first = Path.Combine(_dir, "first");
        for (int run = 0; run < 2; run++)
        {
            var (code, _, err) = Reports.Cli([.. Reports.SpiralArgs, "-o", out_]);
            Assert.That(code, Is.Zero, err);
            if (run == 0) Directory.Move(out_, first);
        }
        foreach (var file in new[] { "report.json", "report.md", "report.html" })
        {
            string Strip(string dir) => string.Join("\n", File.ReadAllLines(Path.Combine(dir, file))
                .Where(l => !l.Contains("generated_utc") && !l.Contains("; generated ")));
            Assert.That(Strip(out_), Is.EqualTo(Strip(first)), file);
            Assert.That(File.ReadAllLines(Path.Combine(out_, file)).Length - Strip(out_).Split('\n').Length, Is.EqualTo(1), $"{file}: one timestamp line");
        }
        foreach (var png in Directory.GetFiles(Path.Combine(first, "plots")))
            Assert.That(File.ReadAllBytes(Path.Combine(out_, "plots", Path.GetFileName(png))), Is.EqualTo(File.ReadAllBytes(png)), png);
    }

    [Test]
    public void When_Verification_Fails_Expect_Exit_Code_1_And_A_Report_Showing_The_Failure()
    {
        // A tolerance no simulator meets: every case fails its comparison.
        var (code, output, err) = Reports.Cli("flow", Path.Combine(RepoPaths.Designs, "tiny.yaml"), "--random", "2", "--seed", "3",
            "--capacitance", "1p", "--time-unit", "1u", "--tolerance", "1e-15", "--jobs", "1", "--out", _dir);
        Assert.That(code, Is.EqualTo(1), err);
        Assert.That(output, Does.Contain("FAIL"));
        var r = Reports.Json(_dir);
        Assert.That(r.GetProperty("verdict").GetString(), Is.EqualTo("FAIL"));
        Assert.That(r.GetProperty("verification")[0].GetProperty("pass").GetBoolean(), Is.False);
        Assert.That(r.GetProperty("verification")[0].GetProperty("summary").GetProperty("failures").GetArrayLength(), Is.GreaterThan(0));
        var html = File.ReadAllText(Path.Combine(_dir, "report.html"));
        Assert.That(html, Does.Contain("class=\"verdict fail\"").And.Contain("output error"));
    }

    [Test]
    public void When_Two_Fidelities_Are_Asked_For_Expect_A_Deck_A_Verdict_And_A_Section_For_Each()
    {
        var (code, _, err) = Reports.Cli("flow", Path.Combine(RepoPaths.Designs, "tiny.yaml"), "--random", "2", "--seed", "5",
            "--capacitance", "1p", "--time-unit", "1u", "--voltage-scale", "0.2", "--fidelity", "ideal,macro", "--jobs", "1", "-o", _dir);
        Assert.That(code, Is.AnyOf(0, 1), err);
        var r = Reports.Json(_dir);
        var runs = r.GetProperty("verification").EnumerateArray().ToList();
        Assert.That(runs.Select(v => v.GetProperty("fidelity").GetString()), Is.EqualTo(new[] { "ideal", "macro" }));
        foreach (var f in new[] { "ideal", "macro" })
        {
            Assert.That(Directory.GetFiles(_dir, $"*.{f}.cir"), Has.Length.EqualTo(1), f);
            Assert.That(File.Exists(Path.Combine(_dir, $"verdict.{f}.json")), f);
            Assert.That(File.Exists(Path.Combine(_dir, "plots", $"errors_{f}.png")), f);
        }
        var macro = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "verdict.macro.json"))).RootElement;
        Assert.That(macro.GetProperty("fidelity").GetString(), Does.StartWith("macro (ptm45hp"));
        Assert.That(File.ReadAllText(Directory.GetFiles(_dir, "*.macro.cir")[0]), Is.Not.EqualTo(File.ReadAllText(Directory.GetFiles(_dir, "*.ideal.cir")[0])));
        // The verdict of the run is the verdicts of its fidelities.
        bool all = runs.All(v => v.GetProperty("pass").GetBoolean());
        Assert.That(r.GetProperty("verdict").GetString(), Is.EqualTo(all ? "pass" : "FAIL"));
        Assert.That(code, Is.EqualTo(all ? 0 : 1));
        Assert.That(r.GetProperty("cells").GetProperty("fits").EnumerateArray().Select(f => f.GetProperty("model").GetString()), Does.Contain("layer 0 Conductance"));
        Assert.That(r.GetProperty("cells").GetProperty("figures").GetArrayLength(), Is.Zero, "a linear law is not built in the v2 cells");
        Assert.That(r.GetProperty("headlines").EnumerateArray().Select(h => h.GetProperty("key").GetString()), Has.None.EqualTo("lag_budget_s").And.None.EqualTo("cell_lag_s"),
            "no lag budget where no v2 cell states its settling");
    }

    [Test]
    public void When_A_Generative_Checkpoint_Flows_Expect_Circuit_Samples_Over_Reference_Samples()
    {
        var (code, _, err) = Reports.Cli("flow", RepoPaths.Model("twomoon", "model.pth"), "--random", "4", "--seed", "2",
            "--capacitance", "1p", "--time-unit", "1u", "--jobs", "2", "--output", _dir);
        Assert.That(code, Is.Zero, err);
        var r = Reports.Json(_dir);
        Assert.That(r.GetProperty("task").GetString(), Is.EqualTo("generation"));
        var summary = r.GetProperty("verification")[0].GetProperty("summary");
        Assert.That(summary.GetProperty("mean_sample_error").GetDouble(), Is.LessThan(summary.GetProperty("reference_std").GetDouble()));
        Assert.That(r.GetProperty("plots").EnumerateArray().Select(p => p.GetProperty("key").GetString()), Does.Contain("samples_ideal"));
        Assert.That(new FileInfo(Path.Combine(_dir, "plots", "samples_ideal.png")).Length, Is.GreaterThan(0));
        Assert.That(r.GetProperty("counts").GetProperty("devices").GetInt64(), Is.EqualTo(600));
        // twomoon's states e-fold several times per time unit: the cells may lag by about a thousandth of it (tolerance analysis)
        var lag = r.GetProperty("headlines").EnumerateArray().Single(h => h.GetProperty("key").GetString() == "lag_budget_s");
        Assert.That(lag.GetProperty("value").GetDouble(), Is.InRange(1e-4 * 1e-6, 1e-2 * 1e-6));
        // beside it, what the cells measured: slower than the budget at this time unit
        var cells = r.GetProperty("headlines").EnumerateArray().Single(h => h.GetProperty("key").GetString() == "cell_lag_s");
        Assert.That(cells.GetProperty("value").GetDouble(), Is.EqualTo(KirchhoffHw.Cells.RegulatedFamily.Characterized.SettlingLag).Within(1e-15));
        Assert.That(cells.GetProperty("value").GetDouble(), Is.GreaterThan(lag.GetProperty("value").GetDouble()));
    }

    [TestCase("--tech", "no-such-tech.yaml", "no-such-tech.yaml")]
    [TestCase("--fidelity", "quantum", "--fidelity")]
    [TestCase("--capacitance", "-1p", "--capacitance")]
    public void When_An_Option_Is_Bad_Expect_One_Error_Line_Exit_Code_2_And_No_Report(string option, string value, string mentioned)
    {
        var (code, _, err) = Reports.Cli("flow", Path.Combine(RepoPaths.Designs, "tiny.yaml"), option, value, "-o", _dir);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1), err);
        Assert.That(err, Does.StartWith("error: ").And.Contain(mentioned));
        Assert.That(File.Exists(Path.Combine(_dir, "report.html")), Is.False);
    }

    [Test]
    public void When_A_Verdict_File_Is_Not_One_Expect_One_Error_Line_With_Its_Name()
    {
        var bad = Path.Combine(_dir, "bad.json");
        File.WriteAllText(bad, "{\"design\": 3}");
        var (code, _, err) = Reports.Cli("report", Path.Combine(RepoPaths.Designs, "tiny.yaml"), "--verdict", bad, "--out", _dir);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1), err);
        Assert.That(err, Does.StartWith("error: ").And.Contain("bad.json"));
    }

    [Test]
    public void When_Reporting_From_The_Flows_Verdict_Expect_The_Same_Estimates_And_Verdict()
    {
        var (code, _, err) = Reports.Cli("report", Path.Combine(RepoPaths.Designs, "spiral.yaml"), "--verdict", Path.Combine(Reports.Spiral, "verdict.ideal.json"), "--tech", Reports.Tech, "-o", _dir);
        Assert.That(code, Is.Zero, err);
        var a = Reports.Json(_dir);
        var b = Reports.Json(Reports.Spiral);
        Assert.That(a.GetProperty("verdict_headline").GetString(), Is.EqualTo(b.GetProperty("verdict_headline").GetString()));
        Assert.That(a.GetProperty("verification")[0].GetProperty("status").GetString(), Is.EqualTo("pass"));
        Assert.That(a.GetProperty("units").GetRawText(), Is.EqualTo(b.GetProperty("units").GetRawText()), "units come from the verdict");
        Assert.That(a.GetProperty("estimates").GetRawText(), Is.EqualTo(b.GetProperty("estimates").GetRawText()));
        Assert.That(a.GetProperty("reproducibility").GetProperty("inputs").GetRawText(), Is.EqualTo(b.GetProperty("reproducibility").GetProperty("inputs").GetRawText()));

        // spiral's tanh and relu layers are built in the v2 cells: the report states what their benches measured, against the issue's bounds
        var figures = a.GetProperty("cells").GetProperty("figures").EnumerateArray()
            .ToDictionary(f => f.GetProperty("figure").GetString()!, f => f.GetProperty("value").GetDouble());
        Assert.That(figures["to/from mismatch at balance"], Is.GreaterThan(0).And.LessThanOrEqualTo(1e-3));
        Assert.That(figures.Single(f => f.Key.StartsWith("output conductance")).Value, Is.GreaterThan(0).And.LessThanOrEqualTo(0.01));
        Assert.That(figures.Keys.Count(k => k.Contains("within 1 %")), Is.GreaterThanOrEqualTo(2), "the drivers' and output stages' speed");
        var md = File.ReadAllText(Path.Combine(_dir, "report.md"));
        Assert.That(md, Does.Contain("### Cell figures (measured)").And.Contain("| v2 m1u output stage: to/from mismatch at balance | 0.08 % of bias |"));
    }
}
