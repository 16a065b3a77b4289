using KirchhoffHw.Model.IO;

namespace KirchhoffHw.Fuzz.Tests;

/// <summary>
/// The reproductions of issue 12 that need the command line as a user runs it (a process of its own, so a
/// crash or a hang shows), by category: crashes, hangs, damaged or lost files, other defects. Each failed
/// before the fix; the importer's own reproductions are in Import.Tests (HostileInputTests).
/// </summary>
public class ReproductionTests
{
    private string _dir = "";

    [SetUp] public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"kh-repro-{Guid.NewGuid():N}"));

    [TearDown]
    public void TearDown()
    {
        foreach (var link in Directory.EnumerateFileSystemEntries(_dir, "*", SearchOption.AllDirectories).Where(e => FileKinds.Of(e, followLinks: false) is FileKind.SymbolicLink or FileKind.Fifo).ToList())
            File.Delete(link);
        Directory.Delete(_dir, recursive: true);
    }

    private string P(string name) => Path.Combine(_dir, name);
    private static string Tiny => Path.Combine(RepoPaths.Designs, "tiny.yaml");
    private static string Twomoon => RepoPaths.Model("twomoon", "model.pth");

    private CliResult Run(params string[] args) => Cli.Run(_dir, args);

    private static void ExitsTwoWith(CliResult r, string mentions)
    {
        Assert.That(r.Hung, Is.False, "the run ended");
        Assert.That(r.Code, Is.EqualTo(2), r.All);
        Assert.That(r.Err, Does.Match("(?m)^error: ").And.Contain(mentions).And.Not.Contain("   at "));
    }

    // ---- crashes ----

    [Test]
    public void When_ToleranceIsNaN_Expect_UsageErrorNotAJsonWriterCrash()
    {
        var r = Run("verify", Tiny, "--random", "1", "--tolerance", "NaN", "-o", P("v.json"));
        ExitsTwoWith(r, "--tolerance must be a positive finite number, got NaN");
        Assert.That(File.Exists(P("v.json")), Is.False);
    }

    [Test]
    public void When_TheOutputIsAFolder_Expect_ErrorBeforeAnyWork()
    {
        Directory.CreateDirectory(P("out"));
        var r = Run("run", Twomoon, "--random", "3", "-o", P("out"));
        ExitsTwoWith(r, $"{P("out")}: is a folder");
        Assert.That(r.Err, Does.Not.Contain("reference:"), "refused before the reference ran");
    }

    [Test]
    public void When_TheOutputFolderCannotBeWritten_Expect_ErrorBeforeAnyWork()
    {
        // sysfs takes no new files, not even from root: an unwritable folder whoever runs the tests
        var r = Run("flow", Tiny, "--out", "/sys/kernel/kirchhoffhw-flow");
        ExitsTwoWith(r, "/sys/kernel/kirchhoffhw-flow: cannot be written: the folder /sys/kernel does not accept new files");
        Assert.That(r.All, Does.Not.Contain("technology:").And.Not.Contain("characteriz"), "refused before the flow's first stage");
    }

    [Test]
    public void When_InputsAreDevZero_Expect_RefusalNotAnEndlessRead()
    {
        ExitsTwoWith(Run("run", Tiny, "--inputs", "/dev/zero"), "/dev/zero: input file is a character device, not a regular file");
    }

    [Test]
    public void When_TenMillionRandomCasesAreAsked_Expect_RefusalWithTheirMemoryAndTheLimit()
    {
        var r = Run("run", Twomoon, "--random", "10000000");
        ExitsTwoWith(r, "--random 10000000 would need about");
        Assert.That(r.Err, Does.Contain($"more than the {MemoryLimitText} limit"));
    }

    [Test]
    public void When_ACommandLineValueIsBad_Expect_ExitCode2NotTheFailVerdictsCode1()
    {
        ExitsTwoWith(Run("run", Tiny, "--random", "1", "--no-such-option"), "Unrecognized command or argument '--no-such-option'");
        ExitsTwoWith(Run("run", Tiny, "--random", "many"), "Cannot parse argument 'many'");
        ExitsTwoWith(Run("verify", Tiny, "--random", "1", "--timeout", "-5", "-o", P("v.json")), "--timeout must be a number of seconds");
    }

    // ---- hangs ----

    [Test]
    public void When_InputsAreAFifoWithoutAWriter_Expect_RefusalNotAHang()
    {
        Crafted.Fifo(P("fifo"));
        ExitsTwoWith(Run("run", Tiny, "--inputs", P("fifo")), "input file is a FIFO (named pipe), not a regular file");
    }

    [Test]
    public void When_RandomHasNoUpperBound_Expect_TheLargestIntRefused()
    {
        ExitsTwoWith(Run("verify", Tiny, "--random", "2147483647", "-o", P("v.json")), "--random 2147483647 would need about");
    }

    // ---- damaged or lost files ----

    [Test]
    public void When_TheJournalIsALinkElsewhere_Expect_TheTargetUntouched()
    {
        File.WriteAllText(P("victim"), "precious\n");
        Crafted.Link(P("v.json.journal.jsonl"), P("victim"));
        var r = Run("verify", Tiny, "--random", "1", "-o", P("v.json"));
        ExitsTwoWith(r, "the journal is a symbolic link; it is never followed");
        Assert.That(File.ReadAllText(P("victim")), Is.EqualTo("precious\n"));
    }

    [Test]
    public void When_FlowPlotsIsALinkElsewhere_Expect_NothingWrittenThroughIt()
    {
        Directory.CreateDirectory(P("out"));
        Directory.CreateDirectory(P("elsewhere"));
        Crafted.Link(P("out/plots"), P("elsewhere"));
        ExitsTwoWith(Run("flow", Tiny, "--no-verify", "--out", P("out")), "plots: is a symbolic link");
        Assert.That(Directory.EnumerateFileSystemEntries(P("elsewhere")), Is.Empty);
    }

    [Test]
    public void When_TheOutputIsAFifo_Expect_WrittenThroughNotRenamedOver()
    {
        Crafted.Fifo(P("pipe"));
        var reader = Task.Run(() => File.ReadAllText(P("pipe")));
        var r = Run("run", Tiny, "--random", "1", "-o", P("pipe"));
        Assert.That(r.Code, Is.Zero, r.All);
        Assert.That(reader.Wait(Cli.HangLimit), Is.True, "the reader got the output");
        Assert.That(reader.Result, Does.StartWith("{\"design\":\"rc-ladder\""));
        Assert.That(FileKinds.Of(P("pipe"), followLinks: false), Is.EqualTo(FileKind.Fifo), "the FIFO is still a FIFO");
    }

    [Test]
    public void When_TheOutputIsDevStdoutOrDevNull_Expect_WrittenToTheDescriptorAndTheNodesKept()
    {
        var r = Run("run", Tiny, "--random", "1", "-o", "/dev/stdout");
        Assert.That(r.Code, Is.Zero, r.All);
        Assert.That(r.Out, Does.StartWith("{\"design\":\"rc-ladder\""));
        Assert.That(FileKinds.Of("/dev/stdout", followLinks: false), Is.EqualTo(FileKind.SymbolicLink));
        Assert.That(Run("run", Tiny, "--random", "1", "-o", "/dev/null").Code, Is.Zero);
        Assert.That(FileKinds.Of("/dev/null", followLinks: false), Is.EqualTo(FileKind.CharacterDevice));
    }

    [Test]
    public void When_AKilledRunLeftATemporary_Expect_TheNextWriteRemovesIt()
    {
        // what a kill -9 mid-write leaves: our temporary name, a process id that is gone, an old time stamp
        var stale = P($".out.json.{int.MaxValue - 7}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(stale, "{\"half");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-3));
        var foreign = P(".out.json.notours.tmp");
        File.WriteAllText(foreign, "kept");
        Assert.That(Run("run", Tiny, "--random", "1", "-o", P("out.json")).Code, Is.Zero);
        Assert.That(File.Exists(stale), Is.False, "the stale temporary is gone");
        Assert.That(File.Exists(foreign), Is.True, "a file not of our naming is left alone");
    }

    // ---- other defects ----

    [Test]
    public void When_TheDesignNameIsHtml_Expect_ReportMarkdownEscapesIt()
    {
        CharacterizeCells();
        var design = Crafted.Write(_dir, "d.yaml", Crafted.Design("\"<script>alert(1)</script>\""));
        var r = Run("report", design, "--random", "1", "--out", P("rep"));
        Assert.That(r.Code, Is.Zero, r.All);
        var md = File.ReadAllText(P("rep/report.md"));
        Assert.That(md, Does.Contain("\\<script\\>alert(1)\\</script\\>").And.Not.Contain("<script>"));
        Assert.That(File.ReadAllText(P("rep/report.html")), Does.Not.Contain("<script>alert"));
    }

    [Test]
    public void When_AnErrorEchoesControlCharacters_Expect_ThemEscaped()
    {
        var design = Crafted.Write(_dir, "d.yaml", Crafted.Design("n").Replace("Conductance", "\"X\\e[2K\\rverdict PASS\""));
        var r = Run("info", design);
        Assert.That(r.Code, Is.EqualTo(2), r.All);
        Assert.That(r.Err, Does.Contain("unknown device model 'X\\e[2K\\rverdict PASS'").And.Not.Contain("\u001b").And.Not.Contain("\r"));
    }

    [Test]
    public void When_NgspiceIsMissing_Expect_AnEnvironmentErrorWithTheInstallHintNotAFailVerdict()
    {
        var r = Cli.Run(_dir, ["verify", Tiny, "--random", "1", "--backend", "batch", "-o", P("v.json")], new Dictionary<string, string?> { ["PATH"] = "/nonexistent" });
        ExitsTwoWith(r, "ngspice not found on PATH: install it with `apt-get install ngspice`");
        Assert.That(File.Exists(P("v.json")), Is.False, "no verdict blames the circuit");
    }

    [Test]
    public void When_ACsvRowMixesNumbersAndText_Expect_ItsLineAndColumn()
    {
        var csv = Crafted.Write(_dir, "in.csv", "1,abc,2\n");
        ExitsTwoWith(Run("run", Tiny, "--inputs", csv), $"{csv}:1:3: value 2 'abc' is not a number");
    }

    [Test]
    public void When_ACsvRowIsShort_Expect_AWarningAndTheRun()
    {
        var csv = Crafted.Write(_dir, "in.csv", "0.5,0.25\n");
        var r = Run("run", Tiny, "--inputs", csv);
        Assert.That(r.Code, Is.Zero, r.All);
        Assert.That(r.Err, Does.Contain($"warning: {csv}:1: line 1 has 2 values for the design's 3 inputs; the missing ones are filled"));
    }

    private static string MemoryLimitText => Model.MemoryLimit.Format(4L << 30);

    private static void CharacterizeCells()
    {
        var tech = Cells.Technology.Load(Cells.Technology.DefaultPath());
        Cells.CellLibrary.Build(tech, new Cells.Characterizer(tech));
    }
}
