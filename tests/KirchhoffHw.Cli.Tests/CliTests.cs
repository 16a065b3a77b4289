using KirchhoffHw.Cli;
using KirchhoffHw.Import;
using KirchhoffHw.Import.Cases;

namespace KirchhoffHw.Cli.Tests;

/// <summary>The command line as a user meets it: exit codes, one-line errors, files written whole or not at all.</summary>
public class CliTests
{
    private string _dir = "";

    private static string Models => RepoPaths.Models;
    private static string Twomoon => Path.Combine(Models, "twomoon", "model.pth");
    private static string Spiral => Path.Combine(RepoPaths.Designs, "spiral.yaml");

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"kh-cli-{Guid.NewGuid():N}"));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    [Test]
    public void When_Asking_For_Help_Expect_Every_Verb_And_Examples()
    {
        var (code, output, _) = CliRun.Run("--help");
        Assert.That(code, Is.Zero);
        Assert.That(output, Does.Contain("import").And.Contain("run").And.Contain("info").And.Contain("generate").And.Contain("verify").And.Contain("Examples"));
        var (c2, verifyHelp, _) = CliRun.Run("verify", "--help");
        Assert.That(c2, Is.Zero);
        Assert.That(verifyHelp, Does.Contain("--capacitance").And.Contain("--time-unit").And.Contain("--inputs").And.Contain("Exit code"));
    }

    [Test]
    public void When_Showing_Info_Expect_Nodes_Devices_And_Statistics()
    {
        var (code, output, _) = CliRun.Run("info", Twomoon);
        Assert.That(code, Is.Zero);
        Assert.That(output, Does.Contain("2 + ground").And.Contain("600 in 2 layers").And.Contain("300 x ShiftTanh2").And.Contain("negative"));
    }

    [Test]
    public void When_The_Model_File_Is_Missing_Expect_One_Error_Line_And_Exit_Code_2()
    {
        var (code, _, err) = CliRun.Run("info", P("nope.pth"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(err, Does.StartWith("error: ").And.Contain("nope.pth").And.Not.Contain("   at "));
    }

    [Test]
    public void When_A_Checkpoint_Is_Truncated_Expect_Its_Name_In_The_Error_And_No_Output_Written()
    {
        var bytes = File.ReadAllBytes(Twomoon);
        var bad = P("model.pth");
        File.WriteAllBytes(bad, bytes[..(bytes.Length / 2)]);
        File.Copy(Path.Combine(Models, "twomoon", "config.yaml"), P("config.yaml"));
        File.WriteAllText(P("out.yaml"), "precious");
        var (code, _, err) = CliRun.Run("import", bad, "--output", P("out.yaml"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("model.pth").And.Not.Contain("   at "));
        Assert.That(File.ReadAllText(P("out.yaml")), Is.EqualTo("precious"), "existing output is never lost on bad input");
    }

    [Test]
    public void When_Running_The_Reference_Expect_A_Vectors_Json_Shaped_File()
    {
        var (code, _, err) = CliRun.Run("run", Twomoon, "--random", "5", "--seed", "3", "--rtol", "1e-8", "--output", P("out.json"));
        Assert.That(code, Is.Zero, err);
        var set = CaseFile.Read(P("out.json"));
        Assert.That(set.Cases, Has.Count.EqualTo(5));
        Assert.That(set.Cases.Select(c => c.Boundaries.Count), Has.All.EqualTo(2));
        Assert.That(set.Cases[0].Output, Is.EqualTo(set.Cases[0].Boundaries[1].State), "twomoon reads out every node");
        Assert.That(set.Metadata["inputs"]?.ToString(), Does.Contain("seed 3"), "the seed is recorded so the run can be repeated");
    }

    [Test]
    public void When_Reading_Inputs_From_Vectors_Json_Expect_Its_Outputs_Reproduced()
    {
        var vectors = Path.Combine(Models, "twomoon", "vectors.json");
        var (code, _, err) = CliRun.Run("run", Twomoon, "--inputs", vectors, "--rtol", "1e-10", "--output", P("out.json"));
        Assert.That(code, Is.Zero, err);
        var ours = CaseFile.Read(P("out.json"));
        var theirs = CaseFile.Read(vectors);
        for (int i = 0; i < theirs.Cases.Count; i++)
            Assert.That(ours.Cases[i].Output, Is.EqualTo(theirs.Cases[i].Output).Within(1e-6));
    }

    [Test]
    public void When_Generating_Twice_Expect_Byte_Identical_Decks_And_Verilog()
    {
        foreach (var dir in new[] { "a", "b" })
        {
            var (code, _, err) = CliRun.Run("generate", Twomoon, "--random", "1", "--seed", "4", "--capacitance", "1p", "--time-unit", "1n", "--format", "all", "--output", P(dir));
            Assert.That(code, Is.Zero, err);
        }
        var files = Directory.GetFiles(P("a")).Select(Path.GetFileName).Order().ToArray();
        Assert.That(files, Has.Length.EqualTo(4), string.Join(", ", files));
        foreach (var f in files)
            Assert.That(File.ReadAllBytes(Path.Combine(P("b"), f!)), Is.EqualTo(File.ReadAllBytes(Path.Combine(P("a"), f!))), f);
    }

    [TestCase("--spice-option", "reltol=1e-5\n.control")]
    [TestCase("--spice-option", "shell=1")]
    [TestCase("--capacitance", "-1p")]
    [TestCase("--time-unit", "fast")]
    public void When_An_Option_Is_Bad_Expect_Exit_Code_2_And_No_Deck(string option, string value)
    {
        var (code, _, err) = CliRun.Run("generate", Spiral, option, value, "--output", P("x.cir"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.StartWith("error: "));
        Assert.That(File.Exists(P("x.cir")), Is.False);
    }

    [Test]
    public void When_Importing_To_Yaml_Expect_The_Same_Design_Back()
    {
        var (code, _, err) = CliRun.Run("import", Twomoon, "--output", P("twomoon.yaml"));
        Assert.That(code, Is.Zero, err);
        var a = ModelLoader.Load(Twomoon).Design;
        var b = ModelLoader.Load(P("twomoon.yaml")).Design;
        Assert.That(b.DeviceCount, Is.EqualTo(a.DeviceCount));
        Assert.That(b.Layers[1].Theta, Is.EqualTo(a.Layers[1].Theta));
    }

    [Test]
    public void When_Verifying_A_Shipped_Design_Expect_Pass_And_A_Verdict_File()
    {
        var (code, output, err) = CliRun.Run("verify", Spiral, "--random", "2", "--seed", "1", "--capacitance", "1p", "--time-unit", "1n", "--output", P("verdict.json"));
        Assert.That(code, Is.Zero, output + err);
        Assert.That(output, Does.Contain("verdict     PASS"));
        Assert.That(CaseFile.Read(P("verdict.json")).Cases, Has.Count.EqualTo(2));
        Assert.That(File.Exists(P("verdict.json.journal.jsonl")), Is.False, "the journal is removed once the run completes");
    }

    [Test]
    public void When_Flow_And_Report_Write_A_Folder_Expect_Output_And_The_Deprecated_Out_Alias_Alike()
    {
        var tiny = Path.Combine(RepoPaths.Designs, "tiny.yaml");
        foreach (var (verb, flag, dir) in new[] { ("flow", "-o", "a"), ("flow", "--out", "b"), ("report", "--output", "c"), ("report", "--out", "d") })
        {
            var (code, output, err) = CliRun.Run(verb == "flow" ? ["flow", tiny, "--random", "2", "--no-verify", flag, P(dir)] : ["report", tiny, "--random", "2", flag, P(dir)]);
            Assert.That(code, Is.Zero, $"{verb} {flag}: {err}");
            Assert.That(File.Exists(Path.Combine(P(dir), "report.html")), Is.True, $"{verb} {flag}");
            Assert.That(output.TrimEnd().Split('\n')[^1], Does.StartWith("report: "));
        }
        var (_, help, _) = CliRun.Run("flow", "--help");
        Assert.That(help, Does.Contain("-o, --out, --output").And.Contain("--out: deprecated alias"));
    }

    [Test]
    public void When_A_Deck_Option_Is_Given_To_The_Report_Verb_Expect_It_Refused_And_No_Report()
    {
        var (_, help, _) = CliRun.Run("report", "--help");
        Assert.That(help, Does.Not.Contain("--style").And.Not.Contain("--spice-option").And.Not.Contain("--max-step"));
        var (code, _, _) = CliRun.Run("report", Path.Combine(RepoPaths.Designs, "tiny.yaml"), "--random", "2", "--style", "merged", "-o", P("r"));
        Assert.That(code, Is.Not.Zero);
        Assert.That(File.Exists(Path.Combine(P("r"), "report.html")), Is.False);
        var (_, generateHelp, _) = CliRun.Run("generate", "--help");
        Assert.That(generateHelp, Does.Contain("--style").And.Contain("--spice-option").And.Contain("--max-step"));
    }

    [TestCase("verify", "--backend", "quantum", "--backend 'quantum' is not one of shared, batch, reference")]
    [TestCase("generate", "--format", "pdf", "--format 'pdf' is not one of spice, verilog-ams, all")]
    [TestCase("generate", "--style", "dense", "--style 'dense' is not one of auto, devices, merged")]
    [TestCase("verify", "--fidelity", "spicy", "--fidelity 'spicy' is not one of ideal, macro, transistor")]
    [TestCase("flow", "--fidelity", "ideal,spicy", "--fidelity 'spicy' is not one of ideal, macro, transistor")]
    [TestCase("flow", "--fidelity", ",", "--fidelity needs one of ideal, macro, transistor")]
    [TestCase("run", "--method", "euler", "--method 'euler' is not one of dopri5, rk4")]
    [TestCase("tolerance", "--imperfections", "gain,warp", "--imperfections 'warp' is not one of gain, offset, systematic-offset, knee, compression, lag")]
    public void When_A_Choice_Is_Not_One_Of_Its_Names_Expect_One_Error_Line_Listing_Them(string verb, string option, string value, string message)
    {
        var (code, _, err) = CliRun.Run(verb, Spiral, "--random", "1", option, value, "-o", P("x"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim(), Is.EqualTo($"error: <options>: {message}"));
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.Empty, "nothing written");
    }

    [Test]
    public void When_A_Choice_Is_Bad_Expect_It_Refused_Where_Parsed_Before_The_Model_Is_Read()
    {
        var (code, _, err) = CliRun.Run("verify", P("no-such-model.yaml"), "--random", "1", "--backend", "quantum", "--tolerance", "NaN", "-o", P("v.json"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim().Split('\n'), Is.EquivalentTo(new[]
        {
            "error: <options>: --backend 'quantum' is not one of shared, batch, reference",
            "error: <options>: --tolerance must be a positive finite number, got NaN",
        }), "one line per problem, and the model never read");
    }

    [TestCase("generate", "--capacitance", "lots", "--capacitance: 'lots' is not a positive value (examples: 1p, 1e-12, 1n)")]
    [TestCase("verify", "--time-unit", "-1n", "--time-unit: '-1n' is not a positive value (examples: 1p, 1e-12, 1n)")]
    [TestCase("generate", "--spice-option", "reltol", "--spice-option 'reltol' must look like key=value, e.g. reltol=1e-5")]
    [TestCase("tolerance", "--strengths", "1e-3,big", "--strengths: 'big' is not a positive number (example: 1e-4,1e-3,1e-2)")]
    public void When_A_Text_Value_Does_Not_Parse_Expect_It_Refused_Before_The_Model_Is_Read(string verb, string option, string value, string message)
    {
        var (code, _, err) = CliRun.Run(verb, P("no-such-model.yaml"), "--random", "1", option, value, "-o", P("x"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim(), Is.EqualTo($"error: <options>: {message}"));
    }

    // Every verb's -o/--output is checked before the verb reads its model: the model here does not exist, so an
    // error about the output proves the check came first.
    [TestCase("import", false)]
    [TestCase("info", false)]
    [TestCase("run", false)]
    [TestCase("tolerance", false)]
    [TestCase("generate", false)]
    [TestCase("verify", false)]
    [TestCase("flow", true)]
    [TestCase("report", true)]
    public void When_An_Output_Cannot_Be_What_The_Verb_Writes_Expect_Exit_2_Before_Any_Work(string verb, bool folder)
    {
        // a folder where a file goes, a file where a folder goes
        var target = P("taken");
        if (folder) File.WriteAllText(target, "kept\n");
        else Directory.CreateDirectory(target);
        var (code, _, err) = CliRun.Run(verb is "import" or "info" ? [verb, P("no-such-model.yaml"), "-o", target] : [verb, P("no-such-model.yaml"), "--random", "1", "-o", target]);
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err.Trim(), Does.StartWith($"error: {target}: is a ").And.Not.Contain("no-such-model"));
        if (folder) Assert.That(File.ReadAllText(target), Is.EqualTo("kept\n"));
    }

    [Test]
    public void When_Generate_Writes_A_Folder_For_Verilog_Ams_Expect_A_File_In_Its_Place_Refused()
    {
        File.WriteAllText(P("va"), "kept\n");
        var (code, _, err) = CliRun.Run("generate", Spiral, "--format", "verilog-ams", "-o", P("va"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.StartWith($"error: {P("va")}: is a regular file, where this output needs a folder"));
        Assert.That(CliRun.Run("generate", Spiral, "--format", "spice", "-o", P("va")).Code, Is.Zero, "a deck replaces a file");
    }

    [TestCase("--random", "many", "Cannot parse argument 'many' for option '--random' as a whole number.")]
    [TestCase("--seed", "1.5", "Cannot parse argument '1.5' for option '--seed' as a whole number.")]
    [TestCase("--tolerance", "tight", "Cannot parse argument 'tight' for option '--tolerance' as a number.")]
    public void When_A_Value_Does_Not_Parse_Expect_Exit_2_Naming_The_Option_In_Words(string option, string value, string message)
    {
        var (code, _, err) = CliRun.Run(option == "--random" ? ["verify", Spiral, option, value, "-o", P("v.json")] : ["verify", Spiral, "--random", "1", option, value, "-o", P("v.json")]);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim(), Is.EqualTo($"error: <options>: {message}"));
    }

    [Test]
    public void When_Help_Is_Asked_On_A_Wrong_Line_Expect_Help_Not_An_Error()
    {
        var (code, output, err) = CliRun.Run("verify", "--tolerance", "NaN", "--help");
        Assert.That(code, Is.Zero, err);
        Assert.That(output, Does.Contain("--tolerance"));
    }
}
