using System.Globalization;
using System.Text.Json;
using KirchhoffHw.Model;

namespace KirchhoffHw.Cli.Tests;

/// <summary>
/// The measured timescale in the report (`verify --time-units`, then `report --timescale` or `--verdict`): the sweep's
/// figures reach report.json, its plot and tables; a sweep of another design or other units, or bad JSON, is refused;
/// and a report of a transistor circuit counts the transistors its deck holds.
/// </summary>
[NonParallelizable]
public class TimescaleReportTests
{
    private string _dir = "";
    private static string Tiny => Path.Combine(RepoPaths.Designs, "tiny.yaml");
    private static string Spiral => Path.Combine(RepoPaths.Designs, "spiral.yaml");
    private static string Tech => Path.Combine(RepoPaths.Designs, "tech", "ptm45hp.yaml");

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"kh-ts-{Guid.NewGuid():N}"));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    private static string Fingerprint(string design) => Import.ModelLoader.Load(design).Design.Fingerprint();

    private static string R(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A sweep file as `verify --time-units` writes it, by hand: two time units, the slower passing.</summary>
    private string Sweep(string name, string design, string fingerprint, string fidelity = "ideal", double c = 1, double vs = 1, bool withFingerprint = true)
    {
        var text = $$"""
            {
              "schema": "kirchhoffhw-timescale/1",
              "design": "{{design}}",
              {{(withFingerprint ? $"\"design_fingerprint\": \"{fingerprint}\"," : "")}}
              "fidelity": "{{fidelity}}",
              "capacitance_f": {{R(c)}},
              "voltage_scale_v": {{R(vs)}},
              "time_units": [
                {"time_unit_s": 1e-08, "verdict": "ts.t0.json", "max_output_error": 0.31, "rms_output_error": 0.2, "mean_sample_error": null, "tolerance": 0.001, "simulated": 2, "cases": 2, "pass": false},
                {"time_unit_s": 1e-06, "verdict": "ts.t1.json", "max_output_error": 0.0004, "rms_output_error": 0.0003, "mean_sample_error": null, "tolerance": 0.001, "simulated": 2, "cases": 2, "pass": true}
              ],
              "fastest_passing_time_unit_s": 1e-06
            }
            """;
        File.WriteAllText(P(name), text);
        return P(name);
    }

    [Test]
    public void When_A_Macro_Sweep_Is_Measured_And_Reported_Expect_Its_Errors_Plot_And_Fastest_Time_Unit_In_The_Report()
    {
        var (code, output, err) = CliRun.Run("verify", Tiny, "--random", "1", "--seed", "3", "--fidelity", "macro", "--capacitance", "1p",
            "--voltage-scale", "0.05", "--time-units", "100n,1u", "-o", P("ts.json"));
        Assert.That(code, Is.AnyOf(0, 1), err + output);
        var sweep = Json(P("ts.json"));
        Assert.That(sweep.GetProperty("schema").GetString(), Is.EqualTo("kirchhoffhw-timescale/1"));
        Assert.That(sweep.GetProperty("design").GetString(), Is.EqualTo("rc-ladder"));
        Assert.That(sweep.GetProperty("design_fingerprint").GetString(), Is.EqualTo(Fingerprint(Tiny)));
        Assert.That(sweep.GetProperty("fidelity").GetString(), Does.StartWith("macro (ptm45hp"));
        Assert.That(sweep.GetProperty("capacitance_f").GetDouble(), Is.EqualTo(1e-12));
        Assert.That(sweep.GetProperty("voltage_scale_v").GetDouble(), Is.EqualTo(0.05));

        // capacitance and voltage scale come from the sweep, as a verdict's units do
        (code, output, err) = CliRun.Run("report", Tiny, "--random", "1", "--seed", "3", "--timescale", P("ts.json"), "-o", P("report"));
        Assert.That(code, Is.Zero, err + output);
        var m = Json(P("report/report.json")).GetProperty("measured_timescale");
        Assert.That(m.GetProperty("design_fingerprint").GetString(), Is.EqualTo(Fingerprint(Tiny)));
        var points = m.GetProperty("time_units").EnumerateArray().ToList();
        Assert.That(points.Select(p => p.GetProperty("time_unit_s").GetDouble()), Is.EqualTo(new[] { 1e-7, 1e-6 }).Within(1e-9).Percent);
        for (int i = 0; i < 2; i++)
        {
            // each point is its own verdict file's summary
            var verdict = Json(P($"ts.t{i}.json"));
            Assert.That(verdict.GetProperty("units").GetProperty("time_unit_s").GetDouble(), Is.EqualTo(points[i].GetProperty("time_unit_s").GetDouble()));
            Assert.That(points[i].GetProperty("max_output_error").GetDouble(), Is.EqualTo(verdict.GetProperty("summary").GetProperty("max_output_error").GetDouble()));
            Assert.That(points[i].GetProperty("pass").GetBoolean(), Is.EqualTo(verdict.GetProperty("pass").GetBoolean()));
            // macro cells are sized, so the estimated sweep says whether each decade is buildable
            Assert.That(points[i].GetProperty("buildable_estimate").ValueKind, Is.AnyOf(JsonValueKind.True, JsonValueKind.False));
        }
        var passing = points.Where(p => p.GetProperty("pass").GetBoolean()).Select(p => p.GetProperty("time_unit_s").GetDouble()).ToList();
        var fastest = m.GetProperty("fastest_passing_time_unit_s");
        if (passing.Count == 0) Assert.That(fastest.ValueKind, Is.EqualTo(JsonValueKind.Null));
        else Assert.That(fastest.GetDouble(), Is.EqualTo(passing.Min()));
        var report = Json(P("report/report.json"));
        var plot = report.GetProperty("plots").EnumerateArray().Single(p => p.GetProperty("key").GetString() == "timescale_measured");
        Assert.That(new FileInfo(P("report/" + plot.GetProperty("file").GetString())).Length, Is.GreaterThan(1000));
        Assert.That(File.ReadAllText(P("report/report.html")), Does.Contain("Timescale, measured").And.Contain("ts.t1.json"));
        Assert.That(File.ReadAllText(P("report/report.md")), Does.Contain("### Timescale, measured"));
    }

    [Test]
    public void When_The_Flow_Is_Given_Time_Units_Expect_The_Sweep_Measured_Beside_The_Report_And_In_It()
    {
        var (code, output, err) = CliRun.Run("flow", Tiny, "--random", "1", "--seed", "3", "--fidelity", "macro", "--capacitance", "1p", "--time-unit", "1u",
            "--voltage-scale", "0.05", "--time-units", "1u,100n", "--jobs", "1", "-o", P("flow"));
        Assert.That(code, Is.AnyOf(0, 1), err + output);
        Assert.That(output, Does.Contain("time: timescale 100 ns"));
        var sweep = Json(P("flow/timescale.json"));
        Assert.That(sweep.GetProperty("fidelity").GetString(), Does.StartWith("macro (ptm45hp"));
        Assert.That(sweep.GetProperty("design_fingerprint").GetString(), Is.EqualTo(Fingerprint(Tiny)));
        var m = Json(P("flow/report.json")).GetProperty("measured_timescale");
        Assert.That(m.GetProperty("file").GetString(), Is.EqualTo("timescale.json"));
        var points = m.GetProperty("time_units").EnumerateArray().ToList();
        Assert.That(points.Select(p => p.GetProperty("verdict").GetString()), Is.EqualTo(new[] { "timescale.t0.json", "timescale.t1.json" }), "sorted, fastest first");
        // at the flow's own time unit the sweep measures the circuit the flow verified: the same error
        var own = Json(P("flow/verdict.macro.json")).GetProperty("summary").GetProperty("max_output_error").GetDouble();
        Assert.That(points[1].GetProperty("time_unit_s").GetDouble(), Is.EqualTo(1e-6).Within(1e-9).Percent);
        Assert.That(points[1].GetProperty("max_output_error").GetDouble(), Is.EqualTo(own).Within(1e-9).Percent);
        Assert.That(Json(P("flow/timescale.t0.json")).GetProperty("units").GetProperty("time_unit_s").GetDouble(), Is.EqualTo(1e-7).Within(1e-9).Percent);
    }

    [Test]
    public void When_A_Sweep_File_Is_Given_To_Verdict_Expect_It_Read_As_The_Measured_Timescale()
    {
        var sweep = Sweep("ts.json", "rc-ladder", Fingerprint(Tiny));
        var (code, output, err) = CliRun.Run("report", Tiny, "--random", "2", "--verdict", sweep, "-o", P("report"));
        Assert.That(code, Is.Zero, err + output);
        var json = Json(P("report/report.json"));
        var m = json.GetProperty("measured_timescale");
        Assert.That(m.GetProperty("fastest_passing_time_unit_s").GetDouble(), Is.EqualTo(1e-6));
        Assert.That(m.GetProperty("time_units")[0].GetProperty("max_output_error").GetDouble(), Is.EqualTo(0.31));
        Assert.That(m.GetProperty("time_units")[0].GetProperty("mean_sample_error").ValueKind, Is.EqualTo(JsonValueKind.Null));
        // no cells sized: the estimate cannot say which decades are buildable
        Assert.That(m.GetProperty("time_units")[1].GetProperty("buildable_estimate").ValueKind, Is.EqualTo(JsonValueKind.Null));
        var headline = json.GetProperty("headlines").EnumerateArray().Single(h => h.GetProperty("key").GetString() == "fastest_passing_time_unit_s");
        Assert.That(headline.GetProperty("value").GetDouble(), Is.EqualTo(1e-6));
        // it was not a verdict: no verification ran, and an ideal report's transistors are the cell figures'
        Assert.That(json.GetProperty("verification")[0].GetProperty("status").GetString(), Is.EqualTo("not run"));
        Assert.That(json.GetProperty("counts").GetProperty("deck").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(json.GetProperty("counts").GetProperty("transistors").GetInt64(), Is.EqualTo(json.GetProperty("counts").GetProperty("estimated_transistors").GetInt64()));
    }

    private static IEnumerable<TestCaseData> Refusals()
    {
        yield return new TestCaseData("other", "fingerprint", Array.Empty<string>(), "is a timescale sweep of design 'other', not of 'rc-ladder'").SetName("OtherDesignName");
        yield return new TestCaseData("rc-ladder", "0123456789abcdef", Array.Empty<string>(), "is a timescale sweep of another design named 'rc-ladder' (fingerprint 0123456789abcdef").SetName("OtherFingerprint");
        yield return new TestCaseData("rc-ladder", "fingerprint", new[] { "--capacitance", "2" }, "made at C = 1 F, voltage scale = 1 V, not at the report's C = 2 F").SetName("OtherCapacitance");
        yield return new TestCaseData("rc-ladder", "fingerprint", new[] { "--voltage-scale", "0.5" }, "made at C = 1 F, voltage scale = 1 V, not at the report's C = 1 F, voltage scale = 0.5 V").SetName("OtherVoltageScale");
    }

    [TestCaseSource(nameof(Refusals))]
    public void When_The_Sweep_Is_Of_Another_Design_Or_Units_Expect_Exit2_And_Nothing_Written(string design, string fingerprint, string[] extra, string message)
    {
        var sweep = Sweep("ts.json", design, fingerprint == "fingerprint" ? Fingerprint(Tiny) : fingerprint);
        var (code, _, err) = CliRun.Run(["report", Tiny, "--random", "1", "--timescale", sweep, .. extra, "-o", P("report")]);
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(err, Does.StartWith($"error: {sweep}: {message}"));
        Assert.That(File.Exists(P("report/report.json")), Is.False);
    }

    [TestCase("{\"time_units\": [", "not JSON")]
    [TestCase("{\"time_units\": [], \"design\": \"rc-ladder\"}", "no design fingerprint (written by an older version)")]
    [TestCase("{\"time_units\": [{\"time_unit_s\": -1, \"verdict\": \"a.json\"}], \"design\": \"rc-ladder\", \"design_fingerprint\": \"x\", \"fidelity\": \"ideal\", \"capacitance_f\": 1, \"voltage_scale_v\": 1}", "`time_unit_s` is missing or not a positive number")]
    [TestCase("{\"time_units\": [], \"design\": \"rc-ladder\", \"design_fingerprint\": \"x\", \"fidelity\": \"spicy\", \"capacitance_f\": 1, \"voltage_scale_v\": 1}", "fidelity 'spicy' is not")]
    public void When_The_Sweep_File_Is_Bad_Expect_File_And_Reason_Exit2_And_Nothing_Written(string text, string reason)
    {
        File.WriteAllText(P("bad.json"), text);
        var (code, _, err) = CliRun.Run("report", Tiny, "--random", "1", "--timescale", P("bad.json"), "-o", P("report"));
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err, Does.StartWith($"error: {P("bad.json")}: ").And.Contain(reason));
        Assert.That(File.Exists(P("report/report.json")), Is.False);
    }

    [Test]
    public void When_The_Flow_Is_Asked_For_Time_Units_Without_Simulating_Expect_Exit2_Before_Any_Work()
    {
        var (code, _, err) = CliRun.Run("flow", Tiny, "--random", "1", "--no-verify", "--time-units", "1u", "-o", P("flow"));
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err, Does.StartWith("error: <options>: --time-units measures the timescale by simulating"));
        Assert.That(File.Exists(P("flow/report.json")), Is.False);
    }

    [Test]
    public void When_Two_Sweeps_Are_Given_Expect_Exit2()
    {
        var a = Sweep("a.json", "rc-ladder", Fingerprint(Tiny));
        var b = Sweep("b.json", "rc-ladder", Fingerprint(Tiny));
        var (code, _, err) = CliRun.Run("report", Tiny, "--random", "1", "--timescale", a, "--verdict", b, "-o", P("report"));
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err, Does.Contain("one measured timescale"));
    }

    /// <summary>
    /// Transistors in SPICE text with every subcircuit instance expanded: M lines at top level, and per X line the M
    /// lines of its subcircuit (the last word that is not a parameter), nested ones included.
    /// </summary>
    private static long MosLines(string deck)
    {
        var defs = new Dictionary<string, (long Mos, List<string> Calls)>(StringComparer.OrdinalIgnoreCase);
        var top = new List<string>();
        long topMos = 0;
        string? current = null;
        foreach (var raw in deck.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '*') continue;
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words[0].Equals(".subckt", StringComparison.OrdinalIgnoreCase)) { current = words[1]; defs[current] = (0, []); continue; }
            if (words[0].StartsWith(".ends", StringComparison.OrdinalIgnoreCase)) { current = null; continue; }
            Assert.That(line[0], Is.Not.EqualTo('+'), "the count below assumes no continuation lines");
            if (char.ToUpperInvariant(line[0]) == 'M')
            {
                if (current is null) topMos++; else defs[current] = (defs[current].Mos + 1, defs[current].Calls);
            }
            else if (char.ToUpperInvariant(line[0]) == 'X')
            {
                var name = words.Last(w => !w.Contains('='));
                if (current is null) top.Add(name); else defs[current].Calls.Add(name);
            }
        }
        long Flat(string name) => defs.TryGetValue(name, out var d) ? d.Mos + d.Calls.Sum(Flat) : 0;
        return topMos + top.Sum(Flat);
    }

    [Test]
    public void When_The_Report_Is_Of_A_Transistor_Circuit_Expect_Its_Transistor_Count_To_Be_The_Decks()
    {
        string[] units = ["--capacitance", "1p", "--time-unit", "100n", "--voltage-scale", "0.2"];
        var (code, output, err) = CliRun.Run(["generate", Spiral, "--random", "2", "--seed", "5", .. units, "--fidelity", "transistor", "--tech", Tech, "-o", P("spiral.cir")]);
        Assert.That(code, Is.Zero, err + output);
        var deck = File.ReadAllText(P("spiral.cir"));
        Assert.That(deck, Does.Contain(".subckt kh2_os").And.Contain(".subckt kh2_drv"), "spiral's laws are built by the v2 cells");
        long mos = MosLines(deck);
        Assert.That(mos, Is.GreaterThan(100));

        var sweep = Sweep("ts.json", "spiral", Fingerprint(Spiral), "transistor (ptm45hp, typical)", 1e-12, 0.2);
        (code, output, err) = CliRun.Run(["report", Spiral, "--random", "2", "--seed", "5", .. units, "--tech", Tech, "--timescale", sweep, "-o", P("report")]);
        Assert.That(code, Is.Zero, err + output);
        var counts = Json(P("report/report.json")).GetProperty("counts");
        Assert.That(counts.GetProperty("transistors").GetInt64(), Is.EqualTo(mos), "the report counts what the deck holds");
        var d = counts.GetProperty("deck");
        Assert.That(d.GetProperty("transistors").GetInt64(), Is.EqualTo(mos));
        Assert.That(d.GetProperty("device_transistors").GetInt64() + d.GetProperty("shared_transistors").GetInt64(), Is.EqualTo(mos));
        Assert.That(d.GetProperty("family").GetString(), Does.StartWith("v2 regulated cells"));
        Assert.That(counts.GetProperty("transistor_origin").GetString(), Does.Contain("v2 regulated cells"));
        // the estimates are still sized from the cell figures, whose count stays beside the deck's
        Assert.That(counts.GetProperty("estimated_transistors").GetInt64(),
            Is.EqualTo(counts.GetProperty("device_transistors").GetInt64() + counts.GetProperty("precharge_transistors").GetInt64()));
        Assert.That(File.ReadAllText(P("report/report.md")), Does.Contain("transistors, cell figures"));
    }
}
