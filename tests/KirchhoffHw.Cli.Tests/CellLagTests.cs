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
    private static string Spiral => Path.Combine(RepoPaths.Designs, "spiral.yaml");

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
    public void When_V2CellsSettle_Expect_TheMacroDeckToLagAsTheSoftwareLawDoes()
    {
        // spiral's v2 cells at 1 us per unit: their measured settling is within a tenth of a layer, so both macro backends carry it
        string[] units = ["--capacitance", "1p", "--time-unit", "1u", "--voltage-scale", "0.1"];
        var (code, _, err) = CliRun.Run(["generate", Spiral, "--fidelity", "macro", "--random", "1", .. units, "-o", P("macro.cir")]);
        Assert.That(code, Is.Zero, err);
        var deck = File.ReadAllLines(P("macro.cir"));
        double seconds = KirchhoffHw.Cells.RegulatedFamily.Characterized.SettlingLag;
        // every node filtered once, R C = the lag; every device reads the filtered nets
        var caps = deck.Where(l => l.StartsWith("Clag")).ToList();
        int nodes = deck.Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^C\d+ n\d+ 0 "));
        Assert.That(caps, Has.Count.EqualTo(nodes).And.Count.GreaterThan(1), "one filter per node");
        foreach (var c in caps) Assert.That(1e3 * double.Parse(c.Split(' ')[3], System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(seconds).Within(1e-6 * seconds));
        Assert.That(deck.Count(l => l.StartsWith("Elag")), Is.EqualTo(nodes));
        Assert.That(deck.Where(l => l.StartsWith("XL")), Is.Not.Empty.And.All.Match(@"^XL\S+ \S+ \S+ (nlag\d+|0) (nlag\d+|0) ph\d+ "));

        string[] verify = ["verify", Spiral, "--random", "2", "--seed", "1", "--fidelity", "macro", .. units];
        (code, var output, err) = CliRun.Run([.. verify, "--backend", "batch", "-o", P("deck.json")]);
        Assert.That(code, Is.AnyOf(0, 1), err);
        Assert.That(output, Does.Contain("that late"));
        (code, _, err) = CliRun.Run([.. verify, "--backend", "reference", "-o", P("law.json")]);
        Assert.That(code, Is.AnyOf(0, 1), err);
        (code, _, err) = CliRun.Run([.. verify, "--backend", "reference", "--cell-lag", "0", "-o", P("static.json")]);
        Assert.That(code, Is.AnyOf(0, 1), err);
        static double Distance(double[][] a, double[][] b) => a.Zip(b).Average(p => Math.Sqrt(p.First.Zip(p.Second).Sum(q => (q.First - q.Second) * (q.First - q.Second))));
        var (law, lawStatic) = (Outputs(P("law.json")), Outputs(P("static.json")));
        var circuit = JsonDocument.Parse(File.ReadAllText(P("deck.json"))).RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => c.GetProperty("output").EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();
        double lagEffect = Distance(law, lawStatic), deckToLaw = Distance(circuit, law);
        TestContext.Out.WriteLine($"deck from the lagged law {deckToLaw:G3}; the lag moves the law by {lagEffect:G3}");
        Assert.That(lagEffect, Is.GreaterThan(5e-4), "the lag matters at 1 us");
        Assert.That(deckToLaw, Is.LessThan(0.3 * lagEffect), "the deck's RC lag and the law's first-order lag agree");
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
