using KirchhoffHw.Cli;

namespace KirchhoffHw.Cli.Tests;

/// <summary>--fidelity and --tech on generate and verify: bad values are one error line and nothing written; a transistor deck comes with its mapping.</summary>
[NonParallelizable]
public class FidelityTests
{
    private string _dir = "";
    private static string Tiny => Path.Combine(RepoPaths.Designs, "tiny.yaml");

    // characterizations go to the test run's own cache (TestRunCache), not the user's
    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"kh-fid-{Guid.NewGuid():N}"));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    [Test]
    public void When_FidelityUnknown_Expect_OneErrorLineExit2NothingWritten()
    {
        var (code, _, err) = CliRun.Run("generate", Tiny, "--fidelity", "spicy", "-o", P("d.cir"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(err, Does.StartWith("error: <options>: --fidelity 'spicy' is not one of ideal, macro, transistor"));
        Assert.That(File.Exists(P("d.cir")), Is.False);
    }

    [Test]
    public void When_TechFileBad_Expect_FileLineErrorExit2NothingWritten()
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Designs, "tech", "ptm45hp.yaml")).Replace("vss: -0.5", "vss: 0.3");
        File.WriteAllText(P("bad.yaml"), text);
        File.Copy(Path.Combine(RepoPaths.Designs, "tech", "ptm45hp.lib"), P("ptm45hp.lib"));
        var (code, _, err) = CliRun.Run("verify", Tiny, "--random", "1", "--fidelity", "transistor", "--tech", P("bad.yaml"), "-o", P("v.json"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Match(@"^error: .*bad\.yaml:\d+:\d+: supply\.vss must be at or below 0 V"));
        Assert.That(File.Exists(P("v.json")), Is.False);
        Assert.That(Directory.GetFiles(_dir).Where(f => f.Contains("cells")), Is.Empty, "no mapping either");
    }

    [Test]
    public void When_TransistorDeckGenerated_Expect_MosCellsAndMappingBesideIt()
    {
        var (code, output, err) = CliRun.Run("generate", Tiny, "--random", "1", "--seed", "3", "--capacitance", "1p", "--time-unit", "1n",
            "--voltage-scale", "0.05", "--fidelity", "transistor", "-o", P("tiny.cir"));
        Assert.That(code, Is.Zero, err);
        var deck = File.ReadAllText(P("tiny.cir"));
        Assert.That(deck, Does.Contain("transistor fidelity").And.Contain(".subckt kh_ota"));
        // the MOS models come from the technology's card: its BSIM4 (level 54) models, included by path
        var include = System.Text.RegularExpressions.Regex.Match(deck, "(?m)^\\.include \"(?<path>[^\"]+)\"$");
        Assert.That(include.Success, Is.True, "the deck includes a model card");
        Assert.That(Path.GetFileName(include.Groups["path"].Value), Is.EqualTo("ptm45hp.lib"));
        Assert.That(File.ReadAllText(include.Groups["path"].Value), Does.Contain("nmos level=54").And.Contain("pmos level=54"));
        Assert.That(deck.Split('\n').Count(l => l.StartsWith("X0_")), Is.EqualTo(4), "one cell per device of tiny.yaml");
        Assert.That(File.ReadAllLines(P("tiny.cells.csv")), Has.Length.EqualTo(5));
        Assert.That(File.ReadAllText(P("tiny.cells.json")), Does.Contain("\"needs_active\""));
        Assert.That(output, Does.Contain("need an active cell"));
        var (_, help, _) = CliRun.Run("generate", "--help");
        Assert.That(help, Does.Contain("--fidelity").And.Contain("--tech").And.Contain("transistor"));
    }
}
