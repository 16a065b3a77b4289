using System.Globalization;
using System.Text.RegularExpressions;
using KirchhoffHw.Flow;
using KirchhoffHw.Import;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cli.Tests;

/// <summary>
/// `calibrate` end to end on small runs (a few draws, a few iterations): a design the other verbs accept, a held-out error
/// that falls, the same bytes for a seed, a classifier that keeps its classes, every bad input refused with nothing written.
/// </summary>
[NonParallelizable]
public class CalibrateTests
{
    private string _dir = "";
    private string? _cacheBefore;
    private (int Code, string Out, string Err) _first, _second;
    private static string Twomoon => RepoPaths.Model("twomoon", "model.pth");

    // 40 pF over 100 ns puts twomoon's cells, at the automatic voltage scale, inside the default technology's bias range.
    private static readonly string[] Units = ["--capacitance", "40p", "--time-unit", "100n", "--voltage-scale", "auto"];

    private string P(string name) => Path.Combine(_dir, name);

    [OneTimeSetUp]
    public void Calibrate()
    {
        Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"kh-cal-{Guid.NewGuid():N}"));
        _cacheBefore = Environment.GetEnvironmentVariable("KIRCHHOFFHW_CACHE");
        Environment.SetEnvironmentVariable("KIRCHHOFFHW_CACHE", Path.Combine(Path.GetTempPath(), "kh-fid-cache"));
        string[] Args(string output) => ["calibrate", Twomoon, .. Units, "--samples", "12", "--held-out", "12", "--iterations", "5", "--seed", "1", "-o", output];
        _first = CliRun.Run(Args(P("a.yaml")));
        _second = CliRun.Run(Args(P("b.yaml")));
    }

    [OneTimeTearDown]
    public void TearDown()
    {
        Environment.SetEnvironmentVariable("KIRCHHOFFHW_CACHE", _cacheBefore);
        Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void When_TwomoonIsCalibrated_Expect_TrimsANoteAndAFallingHeldOutError()
    {
        Assert.That(_first.Code, Is.Zero, _first.Err);
        var design = DesignYaml.Load(P("a.yaml"));
        var note = design.Calibration!;
        Assert.That(design.NodeTrims, Has.Length.EqualTo(design.NodeCount));
        Assert.That(note.Summary.After.RelativeError, Is.LessThan(note.Summary.Before.RelativeError), _first.Out);
        Assert.That(note.Summary.Loss, Has.Count.EqualTo(note.Summary.Iterations + 1));
        Assert.That(note.Summary.Loss[^1], Is.LessThan(note.Summary.Loss[0]));
        Assert.That((note.Summary.TrainingCases, note.Summary.HeldOutCases, note.Summary.Seed), Is.EqualTo((12, 12, (int?)1)));
        Assert.That(note.Teacher.Model, Is.EqualTo(Path.GetFullPath(Twomoon)));
        Assert.That(note.Units, Is.EqualTo(design.Units), "calibrated for the units it is written in");
        Assert.That(design.Units.Capacitance, Is.EqualTo(40e-12));
        // auto: the largest state 10 % inside the +-0.5 V rails of the default technology
        Assert.That(design.Units.VoltageScale, Is.GreaterThan(0).And.LessThan(0.5));
        // five iterations do not converge: the status says so, in the file and on the console
        Assert.That((note.Summary.Status, note.Summary.Converged), Is.EqualTo(("max-iterations", false)));
        Assert.That(_first.Out, Does.Contain("status      max-iterations (not converged"));
    }

    [Test]
    public void When_CalibratedTwiceWithOneSeed_Expect_TheSameBytesButTheSeconds()
    {
        Assert.That(_second.Code, Is.Zero, _second.Err);
        static string[] Lines(string path) => File.ReadAllLines(path).Where(l => !l.StartsWith("  seconds: ")).ToArray();
        var (a, b) = (Lines(P("a.yaml")), Lines(P("b.yaml")));
        Assert.That(a, Has.Length.EqualTo(File.ReadAllLines(P("a.yaml")).Length - 1), "exactly one line is timing");
        Assert.That(b, Is.EqualTo(a));
    }

    [Test]
    public void When_CalibratedDesignIsVerified_Expect_TheTrainedNetworkAsReferenceAndTheRecordedError()
    {
        // --random 12 --seed 2 draws the calibration's held-out inputs: the macro verification must find its "after" error.
        var (code, output, err) = CliRun.Run("verify", P("a.yaml"), "--fidelity", "macro", "--backend", "reference", "--random", "12", "--seed", "2", "-o", P("v.json"));
        Assert.That(code, Is.AnyOf(0, 1), err);
        Assert.That(output, Does.Contain("reference   the trained network " + Path.GetFullPath(Twomoon)));
        Assert.That(File.ReadAllText(P("v.json")), Does.Contain("against the trained network"));
        var m = Regex.Match(output, @"samples     mean per-sample error ([0-9.eE+-]+)");
        Assert.That(m.Success, output);
        double measured = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var after = DesignYaml.Load(P("a.yaml")).Calibration!.Summary.After.MeanSampleError;
        Assert.That(measured, Is.EqualTo(after).Within(2e-3 * after + 1e-6), "the student the calibration fitted is the circuit macro fidelity builds");

        // in ngspice the verdict file names the trained network too
        (code, output, err) = CliRun.Run("verify", P("a.yaml"), "--random", "1", "--seed", "2", "-o", P("ideal.json"));
        Assert.That(code, Is.AnyOf(0, 1), err);
        Assert.That(File.ReadAllText(P("ideal.json")), Does.Contain("against the trained network"));
    }

    [Test]
    public void When_CalibratedDesignIsGeneratedAndReported_Expect_TrimsInEveryOutputAndACalibrationSection()
    {
        var (code, _, err) = CliRun.Run("generate", P("a.yaml"), "--format", "all", "--random", "1", "-o", P("gen"));
        Assert.That(code, Is.Zero, err);
        var deck = Directory.GetFiles(P("gen"), "*.cir").Single();
        Assert.That(File.ReadAllLines(deck).Count(l => l.StartsWith("Itrim")), Is.EqualTo(DesignYaml.Load(P("a.yaml")).NodeTrims!.Count(t => t != 0)));
        Assert.That(File.ReadAllText(Directory.GetFiles(P("gen"), "*_top.vams", SearchOption.AllDirectories).Single()), Does.Contain("kh_trim #("));

        (code, _, err) = CliRun.Run("report", P("a.yaml"), "--random", "2", "-o", P("report"));
        Assert.That(code, Is.Zero, err);
        var md = File.ReadAllText(P("report/report.md"));
        Assert.That(md, Does.Contain("## Calibration").And.Contain("held-out error after").And.Contain("Calibration loss"));
        Assert.That(File.ReadAllText(P("report/report.json")), Does.Contain("\"calibration\""));
        Assert.That(File.ReadAllText(P("report/report.html")), Does.Contain("id=\"calibration\""));
    }

    [Test]
    public void When_TrimmedDesignIsVerifiedAtIdealFidelity_Expect_NgspiceMatchesTheReference()
    {
        var tiny = ModelLoader.Load(Path.Combine(RepoPaths.Designs, "tiny.yaml")).Design.WithNodeTrims([0.3, -0.2, 0.15]);
        DesignYaml.Save(tiny, P("trimmed.yaml"));
        var (code, output, err) = CliRun.Run("verify", P("trimmed.yaml"), "--random", "2", "--seed", "4", "-o", P("trimmed.json"));
        Assert.That(code, Is.Zero, output + err);
        // and the trims matter: the same inputs without them end elsewhere
        var with = Reference.ReferenceSolver.Solve(tiny, [[0.5, -0.5, 0.25]], Reference.SolverOptions.Golden).Cases[0].Output;
        var without = Reference.ReferenceSolver.Solve(tiny.WithNodeTrims(null), [[0.5, -0.5, 0.25]], Reference.SolverOptions.Golden).Cases[0].Output;
        Assert.That(with.Zip(without, (a, b) => Math.Abs(a - b)).Max(), Is.GreaterThan(0.05));
    }

    [Test]
    public void When_ClassifierIsCalibratedOnItsInputs_Expect_EveryHeldOutArgmaxKeptAtMacroFidelity()
    {
        DesignYaml.Save(Classifier(), P("classifier.yaml"));
        var rng = new Random(3);
        var inputs = Enumerable.Range(0, 40).Select(_ => Enumerable.Range(0, 4).Select(_ => rng.NextDouble()).ToArray()).ToArray();
        File.WriteAllText(P("inputs.json"), System.Text.Json.JsonSerializer.Serialize(inputs));
        // 4 pF / 100 ns: the tanh cores' biases (a few uA per unit of amplitude) inside the v2 unit's range; at 40 pF most
        // exceed its 10 uA and the deck (so the student) clamps them, which no input weight can make up for
        var (code, output, err) = CliRun.Run(["calibrate", P("classifier.yaml"), "--capacitance", "4p", "--time-unit", "100n", "--voltage-scale", "auto",
            "--inputs", P("inputs.json"), "--held-out", "10", "--iterations", "8", "-o", P("c.yaml")]);
        Assert.That(code, Is.Zero, err);
        var s = DesignYaml.Load(P("c.yaml")).Calibration!.Summary;
        Assert.That(s.After.ArgmaxKept, Is.EqualTo(10), output);
        Assert.That((s.TrainingCases, s.HeldOutCases, s.Seed), Is.EqualTo((30, 10, (int?)null)));
        Assert.That(s.After.MaxAbsError, Is.LessThan(s.Before.MaxAbsError), output);

        File.WriteAllText(P("held.json"), System.Text.Json.JsonSerializer.Serialize(inputs[^10..]));
        (code, output, err) = CliRun.Run("verify", P("c.yaml"), "--fidelity", "macro", "--backend", "reference", "--inputs", P("held.json"), "-o", P("cv.json"));
        Assert.That(output, Does.Match(@"argmax agreement 100\.0 ?%"), output + err);
    }

    /// <summary>`flow --calibrate` on twomoon (3 random inputs, no verification) into <paramref name="dir"/>: the calibrated design it wrote.</summary>
    private Design FlowCalibrated(string dir, int iterations, string voltageScale)
    {
        var (code, output, err) = CliRun.Run("flow", Twomoon, "--calibrate", "--calibrate-iterations", iterations.ToString(CultureInfo.InvariantCulture), "--no-verify",
            "--random", "3", "--capacitance", "40p", "--time-unit", "100n", "--voltage-scale", voltageScale, "-o", P(dir));
        Assert.That(code, Is.Zero, output + err);
        return DesignYaml.Load(P($"{dir}/twomoon.calibrated.yaml"));
    }

    [Test]
    public void When_FlowCalibrates_Expect_TheCalibratedDesignBesideTheDecksAndInTheReport()
    {
        var calibrated = FlowCalibrated("flow", 2, "0.019");
        Assert.That(calibrated.Calibration!.Summary.Iterations, Is.LessThanOrEqualTo(2));
        Assert.That(File.ReadAllLines(P("flow/twomoon.ideal.cir")).Count(l => l.StartsWith("Itrim")), Is.EqualTo(calibrated.NodeTrims!.Count(t => t != 0)));
        Assert.That(File.ReadAllText(P("flow/report.md")), Does.Contain("## Calibration"));
    }

    [Test]
    public void When_FlowCalibratesAtAnAutomaticScale_Expect_TheScaleChosenOnceBeforeTheCellsAreFitted()
    {
        var calibrated = FlowCalibrated("flow-auto", 1, "auto");
        // twomoon's states reach ~24 units: at the design's own 1 V per unit no cell could be fitted inside +-0.5 V rails.
        Assert.That(calibrated.Calibration!.Units.VoltageScale, Is.LessThan(0.5 / 20));
        Assert.That(calibrated.Units, Is.EqualTo(calibrated.Calibration.Units));
        var report = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(P("flow-auto/report.json")))!.ToJsonString();
        Assert.That(report, Does.Contain(calibrated.Units.VoltageScale.ToString("R", CultureInfo.InvariantCulture)), "the report states the scale the cells were calibrated at");
    }

    [Test]
    public void When_CalibrationIsCancelled_Expect_AnInterruptionAndNoDesign()
    {
        using var cancel = new CancellationTokenSource();
        var teacher = ModelLoader.Load(Twomoon).Design.With(units: new Model.Units(40e-12, 1e-7, 0.019));
        var inputs = Import.Cases.InputReader.Random(8, 2, 1, Import.Cases.RandomInputKind.StandardNormal);
        Assert.That(() => CalibrationStage.Run(new CalibrationRequest
        {
            Teacher = teacher,
            TeacherReference = CalibrationStage.Reference(Twomoon, null),
            TrainingInputs = inputs,
            HeldOutInputs = inputs,
            Iterations = 50,
        }, new CellStage(null), p => { if (p.Iteration >= 1) cancel.Cancel(); }, cancel.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    [TestCase("cannot build this design", "--capacitance", "1e-18", "--time-unit", "100n", "--voltage-scale", "auto")]
    [TestCase("beyond technology ptm45hp's rails", "--capacitance", "40p", "--time-unit", "100n", "--voltage-scale", "1")]
    [TestCase("--voltage-scale: 'high' is not a positive value", "--capacitance", "40p", "--time-unit", "100n", "--voltage-scale", "high")]
    [TestCase("give either --inputs or --samples", "--capacitance", "40p", "--time-unit", "100n", "--voltage-scale", "auto", "--samples", "4", "--inputs", "x.json")]
    [TestCase("at least 1 iteration", "--capacitance", "40p", "--time-unit", "100n", "--voltage-scale", "auto", "--iterations", "0")]
    public void When_InputIsBad_Expect_OneErrorExit2AndNothingWritten(string message, params string[] options)
    {
        string[] draws = options.Contains("--samples") ? [] : ["--samples", "4", "--held-out", "4"];
        var (code, _, err) = CliRun.Run(["calibrate", Twomoon, .. options, .. draws, "-o", P("bad.yaml")]);
        Assert.That(code, Is.EqualTo(2), err);
        var errors = err.Split('\n').Where(l => l.StartsWith("error: ")).ToList();
        Assert.That(errors, Has.Count.EqualTo(1), err);
        Assert.That(errors[0], Does.Contain(message));
        Assert.That(err, Does.Not.Contain("   at "), "no stack trace");
        Assert.That(File.Exists(P("bad.yaml")), Is.False);
    }

    [Test]
    public void When_TheRailsCannotHoldTheStatesAtAnyScale_Expect_Exit2NothingWritten()
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Designs, "tech", "ptm45hp.yaml")).Replace("vss: -0.5", "vss: 0");
        File.WriteAllText(P("positive.yaml"), text);
        File.Copy(Path.Combine(RepoPaths.Designs, "tech", "ptm45hp.lib"), P("ptm45hp.lib"), overwrite: true);
        var (code, _, err) = CliRun.Run(["calibrate", Twomoon, .. Units, "--tech", P("positive.yaml"), "--samples", "4", "--held-out", "4", "-o", P("rails.yaml")]);
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err, Does.Contain("cannot hold one of those signs at any voltage scale"));
        Assert.That(File.Exists(P("rails.yaml")), Is.False);
    }

    [Test]
    public void When_AnAlreadyCalibratedDesignIsCalibrated_Expect_Exit2AskingForTheTrainedNetwork()
    {
        Assert.That(_first.Code, Is.Zero, _first.Err);
        var (code, _, err) = CliRun.Run(["calibrate", P("a.yaml"), .. Units, "--samples", "4", "--held-out", "4", "-o", P("again.yaml")]);
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err, Does.Contain("already calibrated"));
        Assert.That(File.Exists(P("again.yaml")), Is.False);
    }

    /// <summary>A classifier of our own: 7 nodes, 4 inputs in [0, 1], 3 logits, two tanh layers on every ordered node pair.</summary>
    private static Design Classifier()
    {
        int nodes = 7;
        var pairs = (from s in Enumerable.Range(0, nodes + 1) from d in Enumerable.Range(0, nodes + 1) where s != d select (s, d)).ToArray();
        var rng = new Random(6);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        Layer Make(double t0, double t1) => new(t0, t1, new ShiftTanh2(), EdgeList.FromPairs(pairs), Enumerable.Range(0, 3 * pairs.Length).Select(_ => 0.7 * Normal()).ToArray());
        return new Design("classifier", nodes, [Make(0, 1), Make(1, 2)], new InputMap(4), new Readout(ReadoutKind.Last, 3), task: TaskKind.Classification);
    }
}
