using System.Text.Json;
using KirchhoffHw.Import;

namespace KirchhoffHw.Cli.Tests;

/// <summary>
/// The product's claim at transistor level: twomoon calibrated to the default technology's v2 cells at 1 pF / 1 us (where
/// the cells' measured settling, 6.9 ns, is 0.7 % of a time unit: five times the network's lag budget, so the macro law
/// carries it as a lag and the calibration compensates it; docs/cells.md), then built as MOS transistors, computes the
/// trained network: `verify` of the calibrated design against the network named in its record.
/// </summary>
[NonParallelizable]
public class CalibratedTransistorTests
{
    private string _dir = "";
    private static string Twomoon => RepoPaths.Model("twomoon", "model.pth");

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"kh-caltr-{Guid.NewGuid():N}"));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    [Test]
    public void When_CalibratedAtOneMicrosecond_Expect_TheTransistorCircuitNearTheNetworkAndItsMacroLawPredictingIt()
    {
        var (code, output, err) = CliRun.Run("calibrate", Twomoon, "--capacitance", "1p", "--time-unit", "1u", "--voltage-scale", "auto",
            "--samples", "32", "--seed", "1", "--iterations", "40", "-o", P("cal.yaml"));
        Assert.That(code, Is.Zero, err);
        var before = DesignYaml.Load(P("cal.yaml")).Calibration!.Summary.Before.RelativeError;

        (code, output, err) = CliRun.Run("verify", P("cal.yaml"), "--random", "4", "--seed", "7", "--fidelity", "transistor", "-o", P("tr.json"));
        Assert.That(code, Is.AnyOf(0, 1), err);
        Assert.That(output, Does.Contain("the trained network"));
        var verdict = JsonDocument.Parse(File.ReadAllText(P("tr.json"))).RootElement;
        var summary = verdict.GetProperty("summary");
        Assert.That(summary.GetProperty("simulated").GetInt32(), Is.EqualTo(4), "every case simulates");
        // the verdict's own figures: mean per-sample output distance from the trained network, and the network's spread
        double mean = summary.GetProperty("mean_sample_error").GetDouble(), spread = summary.GetProperty("reference_std").GetDouble();
        TestContext.Out.WriteLine($"calibrated transistor circuit: mean per-sample error {mean:G4} = {100 * mean / spread:G3} % of the spread {spread:G4}; " +
            $"the uncalibrated cells' law on held-out draws {100 * before:G3} %");
        Assert.That(mean / spread, Is.LessThan(0.10), "issue 16's bound for 4 samples in tests");
        // without calibration the transistor circuit is 12.6 % off (measured), its law 15 % on held-out draws: calibration must show
        Assert.That(mean / spread, Is.LessThan(0.75 * before), "the calibration removes at least a quarter of the cells' error");

        // issue 15's question of the same circuit: its macro law, the cells' settling included, predicts it sample by sample
        (code, _, err) = CliRun.Run("verify", P("cal.yaml"), "--random", "4", "--seed", "7", "--fidelity", "macro", "--backend", "reference", "-o", P("macro.json"));
        Assert.That(code, Is.AnyOf(0, 1), err);
        var transistor = verdict.GetProperty("cases").EnumerateArray().Select(c => Vector(c.GetProperty("output"))).ToArray();
        var macro = JsonDocument.Parse(File.ReadAllText(P("macro.json"))).RootElement.GetProperty("comparison").GetProperty("CircuitOutputs")
            .EnumerateArray().Select(Vector).ToArray();
        double predicted = transistor.Zip(macro).Average(p => Math.Sqrt(p.First.Zip(p.Second).Sum(q => (q.First - q.Second) * (q.First - q.Second))));
        TestContext.Out.WriteLine($"macro law from the transistor circuit: {predicted:G4} = {100 * predicted / spread:G3} % of the spread");
        Assert.That(predicted / spread, Is.LessThan(0.05), "issue 15's bound: the macro law predicts the transistor circuit within 5 % of the spread");
    }

    private static double[] Vector(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();
}
