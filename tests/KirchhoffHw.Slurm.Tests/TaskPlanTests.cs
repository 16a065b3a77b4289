using KirchhoffHw.Generate;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;
using KirchhoffHw.Slurm.Journal;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Slurm.Tests;

/// <summary>The plan an array task rebuilds its run from, and what the worker and the command do without a cluster.</summary>
public sealed class TaskPlanTests
{
    private static readonly string Tiny = Path.Combine(RepoPaths.Designs, "tiny.yaml");

    private static TaskPlan Plan(TempFolder tmp, VerifyOptions? options = null, string runKey = "0123") => new()
    {
        Model = Tiny,
        Units = new Units(1e-12, 1e-9, 0.5),
        Fidelity = Fidelity.Ideal,
        Backend = CoSimBackend.NgspiceShared.Name,
        Options = options ?? VerifyOptions.Default,
        Inputs = [[0.25, -0.5, 1.0 / 3], [1e-300, 0.1, 0.2]],
        RunKey = runKey,
        JournalDirectory = TaskJournal.DirectoryFor(tmp.File("verdict.json")),
        Tasks = [[new PlannedCase(0, "KEY0")], [new PlannedCase(1, "KEY1")]],
    };

    [Test]
    public void When_APlanIsSavedAndLoaded_Expect_EveryOptionThatShapesAVerdict_BitForBit()
    {
        using var tmp = new TempFolder();
        var options = VerifyOptions.Default with
        {
            Spice = SpiceOptions.Default with
            {
                Style = DeckStyle.Merged,
                SimulatorOptions = new Dictionary<string, string> { ["reltol"] = "1e-5", ["trtol"] = "0.3" },
                MaxStepFraction = 0.0123,
                MergeThreshold = 7,
                NodeSets = [new NodeSet("xdrv0.am", 0.1 + 1e-17), new NodeSet("x1.out", -1.0 / 3)],
            },
            Reference = SolverOptions.Dopri5(3e-10),
            Tolerance = 2.5e-3,
            InitialTolerance = 1e-7,
            SamplesPerLayer = 5,
            GenerationRelativeError = 0.07,
            CaseTimeout = TimeSpan.FromSeconds(90.5),
            CurrentProbePoints = 16,
        };
        var plan = Plan(tmp, options) with { Tech = "/site/tech.yaml", Config = "/site/config.yaml", Fidelity = Fidelity.Transistor };
        plan.Save(tmp.File("plan.json"));
        var back = TaskPlan.Load(tmp.File("plan.json"));

        Assert.That((back.Model, back.Config, back.Tech, back.Units, back.Fidelity, back.Backend, back.RunKey, back.JournalDirectory),
            Is.EqualTo((plan.Model, plan.Config, plan.Tech, plan.Units, plan.Fidelity, plan.Backend, plan.RunKey, plan.JournalDirectory)));
        Assert.That(back.Inputs, Is.EqualTo(plan.Inputs));
        Assert.That(back.Tasks, Is.EqualTo(plan.Tasks));
        var o = back.Options;
        Assert.That(o with { Spice = SpiceOptions.Default }, Is.EqualTo(options with { Spice = SpiceOptions.Default }));
        // Record equality compares collections by reference: those are compared by content, the rest by the record.
        var s = options.Spice;
        Assert.That(o.Spice with { SimulatorOptions = s.SimulatorOptions, Input = s.Input, SampleTimes = s.SampleTimes, Notes = s.Notes, NodeSets = s.NodeSets },
            Is.EqualTo(s));
        Assert.That(o.Spice.SimulatorOptions, Is.EquivalentTo(s.SimulatorOptions));
        Assert.That((o.Spice.Input, o.Spice.SampleTimes, o.Spice.Notes), Is.EqualTo((s.Input, s.SampleTimes, s.Notes)));
        Assert.That(o.Spice.NodeSets, Is.EqualTo(s.NodeSets), "the operating-point seed reaches every task, to the bit");
    }

    [Test]
    public void When_APlanIsNotOne_Expect_OneErrorNamingTheFile()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("plan.json");
        File.WriteAllText(path, "{\"format\": 1, \"model\": 3}");
        Assert.That(() => TaskPlan.Load(path), Throws.TypeOf<KirchhoffHwException>().With.Message.StartsWith($"{path}: not a task plan"));
        File.WriteAllText(path, "{\"format\": 99}");
        Assert.That(() => TaskPlan.Load(path), Throws.TypeOf<KirchhoffHwException>().With.Message.Contains("task plan format 99"));
        Assert.That(() => TaskPlan.Load(tmp.File("missing.json")), Throws.TypeOf<KirchhoffHwException>().With.Message.Contains("cannot read the task plan"));
    }

    /// <summary>A task whose rebuilt run is not the submitted one (here: a run key no build of tiny.yaml gives) journals nothing.</summary>
    [Test]
    public void When_ATaskRebuildsAnotherRunThanTheSubmittedOne_Expect_ItRefusesAndJournalsNothing()
    {
        using var tmp = new TempFolder();
        Plan(tmp).Save(tmp.File("plan.json"));
        var (code, _, err) = Kirchhoffhw.Run(["verify-task", "--plan", tmp.File("plan.json"), "--task", "1"]);
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err, Does.StartWith($"error: {tmp.File("plan.json")}: this task rebuilt a different verification than the one submitted"));
        var journal = TaskJournal.FileFor(TaskJournal.DirectoryFor(tmp.File("verdict.json")), 1);
        Assert.That(File.ReadAllText(journal), Is.Empty);
    }

    [Test]
    public void When_TheWorkerHasNoTaskIndex_Expect_ItSaysHowToGiveOne()
    {
        using var tmp = new TempFolder();
        Plan(tmp).Save(tmp.File("plan.json"));
        var (code, _, err) = Kirchhoffhw.Run(["verify-task", "--plan", tmp.File("plan.json")]);
        Assert.That((code, err.Trim()), Is.EqualTo((2, "error: --task: no array index: give --task N, or run as a Slurm array task ($KIRCHHOFFHW_TASK_ID is not set)")));
        (code, _, err) = Kirchhoffhw.Run(["verify-task", "--plan", tmp.File("plan.json"), "--task", "2"]);
        Assert.That((code, err.Trim()), Is.EqualTo((2, $"error: {tmp.File("plan.json")}: the plan has tasks 0 to 1, not 2")));
    }

    [Test]
    public void When_SbatchIsNotOnPath_Expect_TheHintExitCode2_AndAnEarlierVerdictKept()
    {
        using var tmp = new TempFolder();
        var output = tmp.File("verdict.json");
        File.WriteAllText(output, "an earlier verdict");
        var (code, _, err) = Kirchhoffhw.Run(
            ["verify", Tiny, "--random", "2", "--capacitance", "1p", "--time-unit", "1n", "-o", output, "--scheduler", "slurm"],
            new Dictionary<string, string> { ["PATH"] = Directory.CreateDirectory(tmp.File("bin")).FullName });
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err, Does.EndWith("error: sbatch: sbatch not found on PATH: run `make cluster` to start this machine's Slurm cluster, " +
            "or load your site's Slurm module\n"));
        Assert.That(File.ReadAllText(output), Is.EqualTo("an earlier verdict"));
    }

    [Test]
    public void When_SlurmOptionsAreGivenToALocalRun_Expect_TheyAreRefused()
    {
        using var tmp = new TempFolder();
        var (code, _, err) = Kirchhoffhw.Run(["verify", Tiny, "--random", "2", "-o", tmp.File("v.json"), "--chunk", "2", "--partition", "p"]);
        Assert.That((code, err.Trim()), Is.EqualTo((2, "error: <options>: --partition, --chunk only apply with --scheduler slurm")));
        (code, _, err) = Kirchhoffhw.Run(["verify", Tiny, "--random", "2", "-o", tmp.File("v.json"), "--scheduler", "slurm", "--chunk", "0"]);
        Assert.That((code, err.Trim()), Is.EqualTo((2, "error: --chunk: must be at least 1 case per task, not 0")));
        (code, _, err) = Kirchhoffhw.Run(["verify", Tiny, "--random", "2", "-o", tmp.File("v.json"), "--scheduler", "slurm", "--scheduler-option", "array=1-3"]);
        Assert.That((code, err.Trim()), Is.EqualTo((2, "error: --scheduler-option: --array is set by the job script itself and cannot be overridden")));
        Assert.That(File.Exists(tmp.File("v.json")), Is.False);
    }
}
