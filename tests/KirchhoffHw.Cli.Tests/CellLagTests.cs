using System.Text.Json;

namespace KirchhoffHw.Cli.Tests;

/// <summary>
/// `verify --backend reference --cell-lag`: the cells' macro law solved as cells that settle with the given time constant
/// would compute it, and refused where it has no meaning (a simulated circuit settles as its transistors do).
/// </summary>
[NonParallelizable]
public class CellLagTests
{
    private string _dir = "";
    private static string Tiny => Path.Combine(RepoPaths.Designs, "tiny.yaml");

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"kh-lag-{Guid.NewGuid():N}"));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static double[][] Outputs(string path) =>
        JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("comparison").GetProperty("CircuitOutputs")
            .EnumerateArray().Select(o => o.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();

    [Test]
    public void When_CellsLag_Expect_TheMacroLawSolvedLateAndTheLagStated()
    {
        string[] common = ["verify", Tiny, "--random", "2", "--seed", "3", "--fidelity", "macro", "--backend", "reference",
            "--capacitance", "1p", "--time-unit", "1u"];
        var (code, output, err) = CliRun.Run([.. common, "-o", P("now.json")]);
        Assert.That(code, Is.AnyOf(0, 1), err);
        (code, output, err) = CliRun.Run([.. common, "--cell-lag", "50n", "-o", P("late.json")]);
        Assert.That(code, Is.AnyOf(0, 1), err);
        Assert.That(output, Does.Contain("late").And.Contain("0.05 time units"));
        var (now, late) = (Outputs(P("now.json")), Outputs(P("late.json")));
        double largest = now.Zip(late).Max(p => p.First.Zip(p.Second).Max(q => Math.Abs(q.First - q.Second)));
        Assert.That(largest, Is.GreaterThan(1e-4), "a lag of 5 % of the time unit moves the outputs");
    }

    [Test]
    public void When_CellLagAskedOfASimulatedCircuit_Expect_ExitTwoNamingTheOption()
    {
        var (code, _, err) = CliRun.Run("verify", Tiny, "--random", "1", "--fidelity", "macro", "--backend", "batch",
            "--capacitance", "1p", "--time-unit", "1u", "--cell-lag", "10n", "-o", P("v.json"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--cell-lag").And.Contain("--backend reference"));
        Assert.That(File.Exists(P("v.json")), Is.False);
        (code, _, err) = CliRun.Run("verify", Tiny, "--random", "1", "--fidelity", "macro", "--backend", "reference",
            "--capacitance", "1p", "--time-unit", "1u", "--cell-lag", "-3n", "-o", P("v.json"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--cell-lag"));
    }
}
