using System.Text.Json;
using System.Text.RegularExpressions;
using KirchhoffHw.Slurm.Journal;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Slurm.Tests.Cluster;

/// <summary>
/// `kirchhoffhw verify --scheduler slurm` on the real cluster, each verdict held against a local run of the same
/// command: spiral.yaml with 6 random inputs, split over two or three array tasks.
/// </summary>
public sealed class VerifyTests
{
    private static readonly string Spiral = Path.Combine(RepoPaths.Designs, "spiral.yaml");

    // A step cap of 1e-4 of a layer makes a case take a second or more: long enough to act on a task while it runs.
    private static readonly string[] Slow = ["--max-step", "1e-4"];

    private static string[] Verify(string output, params string[] more) =>
        ["verify", Spiral, "--random", "6", "--seed", "3", "--capacitance", "1p", "--time-unit", "1n", "-o", output, .. more];

    private TempFolder _local = null!;
    private string _fast = "", _slow = "";

    [OneTimeSetUp]
    public void LocalRuns()
    {
        _local = new TempFolder();
        _fast = _local.File("fast.json");
        _slow = _local.File("slow.json");
        foreach (var (output, more) in new[] { (_fast, Array.Empty<string>()), (_slow, Slow) })
        {
            var (code, _, err) = Kirchhoffhw.Run(Verify(output, [.. more, "--jobs", "2"]));
            Assert.That(code, Is.EqualTo(0), err);
        }
    }

    [OneTimeTearDown]
    public void RemoveLocalRuns() => _local.Dispose();

    private static void AssertSameVerdict(string local, string slurm, int cases = 6)
    {
        Assert.That(File.Exists(slurm), Is.True, slurm);
        Assert.That(VerdictFiles.Difference(local, slurm), Is.Null, "the verdict through Slurm differs from the local one");
        // A spiral case holds some 70 numbers and words (input, boundaries, samples, output, errors, status).
        Assert.That(VerdictFiles.Leaves(slurm), Is.GreaterThan(60 * cases), "every case's boundaries, samples and errors were compared");
    }

    [Test]
    public void When_SpiralIsVerifiedThroughSlurm_Expect_TheVerdictOfALocalRun()
    {
        using var tmp = new TempFolder();
        var output = tmp.File("verdict.json");
        var (code, stdout, err) = Kirchhoffhw.Run(Verify(output, "--scheduler", "slurm", "--chunk", "2", "--max-parallel", "2",
            "--scheduler-option", "time=10", "--scheduler-option", "comment=kirchhoffhw test"));

        Assert.That(code, Is.EqualTo(0), err);
        AssertSameVerdict(_fast, output);
        Assert.That(stdout, Does.Contain("verdict     PASS"));
        Assert.That(err, Does.Match(@"verify: submitted job \d+: 3 tasks for 6 cases \(up to 2 per task\); script "));
        Assert.That(err, Does.Match(@"6/6 cases journaled"));
        var script = File.ReadAllText(output + ".slurm/submit-1.sbatch");
        Assert.That(script, Does.Contain("#SBATCH --array=0-2%2\n").And.Contain("#SBATCH --time=\"10\"\n")
            .And.Contain("#SBATCH --comment=\"kirchhoffhw test\"\n").And.Contain($"#SBATCH --chdir=\"{tmp.Path}\"\n")
            .And.Contain($"exec {Kirchhoffhw.Program} verify-task --plan {output}.slurm/submit-1.plan.json\n"));
        var plan = TaskPlan.Load(output + ".slurm/submit-1.plan.json");
        Assert.That(plan.Tasks.Select(t => t.Select(c => c.Index)), Is.EqualTo(new[] { new[] { 0, 1 }, new[] { 2, 3 }, new[] { 4, 5 } }));
        Assert.That(plan.Model, Is.EqualTo(Spiral));
        Assert.That(Directory.GetFiles(output + ".slurm/logs").Select(File.ReadAllText),
            Has.All.Contain("2 cases, 2 simulated, 0 journaled before"));
        Assert.That(Directory.Exists(output + ".journal.d"), Is.False, "the tasks' journals are merged into the verdict, then removed");
        Assert.That(File.Exists(output + ".journal.jsonl"), Is.False);
        Assert.That(File.Exists(output + ".slurm/jobs.json"), Is.False, "no job is left in flight");
    }

    [Test]
    public void When_OneTaskIsCancelledMidRun_Expect_ItsStateAndLogReported_AndTheRerunSubmitsOnlyWhatIsMissing()
    {
        using var tmp = new TempFolder();
        var output = tmp.File("verdict.json");
        string[] args = Verify(output, [.. Slow, "--scheduler", "slurm", "--chunk", "3"]);
        string job;
        (int Code, string Out, string Err) first;
        using (var run = Kirchhoffhw.Start(args))
        {
            job = JobOf(output, run);
            // Task 1 runs cases 3, 4 and 5: cancelled once its first verdict is journaled.
            WaitFor(() => JournaledBy(output, 1) > 0, run, "task 1's first verdict");
            Slurm("scancel", $"{job}_1");
            first = run.Wait();
        }
        var journaled = Verifier.ReadJournal(output + ".journal.jsonl").Values.Select(v => v.Index).Order().ToList();
        var missing = Enumerable.Range(0, 6).Except(journaled).ToList();
        Assert.That(missing, Is.Not.Empty, "task 1 finished before it was cancelled: the test could not cancel it mid-run");
        Assert.That(journaled, Does.Contain(0).And.Contain(1).And.Contain(2).And.Contain(3), "task 0's cases and task 1's first are kept");

        var log = Path.Combine(output + ".slurm", "logs", $"{job}_1.log");
        Assert.That(first.Code, Is.EqualTo(2), first.Err);
        Assert.That(first.Err, Does.Contain($"error: {log}: task 1 ({job}_1) was cancelled: resubmit it; {Cases(missing)} not verified\n"));
        Assert.That(first.Err, Does.Contain($"error: {output}: {journaled.Count} of 6 cases are verified and journaled, {missing.Count} are not " +
            $"({Cases(missing)}): run the same command again to submit only those\n"));
        Assert.That(first.Err, Does.Not.Contain("internal error"));
        Assert.That(File.ReadAllText(log), Does.Contain("CANCELLED"));
        Assert.That(File.Exists(output), Is.False, "an incomplete run writes no verdict");

        var second = Kirchhoffhw.Run(args);
        Assert.That(second.Code, Is.EqualTo(0), second.Err);
        Assert.That(second.Err, Does.Match($@"submitted job \d+: 1 task for {missing.Count} cases? "));
        var resubmitted = TaskPlan.Load(output + ".slurm/submit-2.plan.json");
        Assert.That(resubmitted.Tasks.SelectMany(t => t).Select(c => c.Index), Is.EqualTo(missing), "only the cancelled task's unfinished cases run again");
        AssertSameVerdict(_slow, output);
    }

    [Test]
    public void When_TheCommandIsKilledWhileItsJobRuns_Expect_TheRerunToFollowThatJobInsteadOfSubmittingAgain()
    {
        using var tmp = new TempFolder();
        var output = tmp.File("verdict.json");
        string[] args = Verify(output, [.. Slow, "--scheduler", "slurm", "--chunk", "3"]);
        string job;
        using (var run = Kirchhoffhw.Start(args))
        {
            job = JobOf(output, run);
            // A task opens its journal before any work: both are running, with all their cases ahead of them.
            WaitFor(() => File.Exists(TaskJournalOf(output, 0)) && File.Exists(TaskJournalOf(output, 1)), run, "both tasks to start");
            run.Kill();
        }
        var second = Kirchhoffhw.Run(args);
        Assert.That(second.Code, Is.EqualTo(0), second.Err);
        Assert.That(second.Err, Does.Contain($"following job {job}, submitted by an earlier run of this command"));
        Assert.That(second.Err, Does.Not.Contain("submitted job"));
        Assert.That(File.Exists(output + ".slurm/submit-2.plan.json"), Is.False);
        AssertSameVerdict(_slow, output);
    }

    [Test]
    public void When_TwoRunsOfATaskWriteOneJournal_Expect_TheSecondRefusedWithItsLogAndNothingLost()
    {
        using var tmp = new TempFolder();
        var output = tmp.File("verdict.json");
        string[] args = Verify(output, "--scheduler", "slurm", "--chunk", "3");
        (int Code, string Out, string Err) first;
        var journal = TaskJournalOf(output, 0);
        // An earlier run of task 0 that still writes its journal.
        using (TaskJournalWriter.Open(journal))
            first = Kirchhoffhw.Run(args);
        var job = Regex.Match(first.Err, @"submitted job (\d+)").Groups[1].Value;
        var log = Path.Combine(output + ".slurm", "logs", $"{job}_0.log");
        Assert.That(first.Code, Is.EqualTo(2), first.Err);
        Assert.That(first.Err, Does.Contain($"error: {log}: task 0 ({job}_0) failed with exit code 2: see its log; cases 0, 1, 2 not verified; " +
            $"its log ends with: error: {journal}: task journal is being written by another process"));
        Assert.That(first.Err, Does.Contain($"error: {output}: 3 of 6 cases are verified and journaled, 3 are not (cases 0, 1, 2)"));
        Assert.That(Verifier.ReadJournal(output + ".journal.jsonl").Values.Select(v => v.Index).Order(), Is.EqualTo(new[] { 3, 4, 5 }));

        var second = Kirchhoffhw.Run(args);
        Assert.That(second.Code, Is.EqualTo(0), second.Err);
        Assert.That(second.Err, Does.Match(@"submitted job \d+: 1 task for 3 cases"));
        AssertSameVerdict(_fast, output);
    }

    [Test]
    public void When_TheNodeFailsUnderTheTasks_Expect_KilledBySlurmReported_AndTheRerunCompletesTheVerdict()
    {
        using var tmp = new TempFolder();
        var output = tmp.File("verdict.json");
        // no-requeue: by default Slurm would requeue the tasks itself after a node failure.
        string[] args = Verify(output, [.. Slow, "--scheduler", "slurm", "--chunk", "3", "--scheduler-option", "no-requeue"]);
        string job, node;
        (int Code, string Out, string Err) first;
        using (var run = Kirchhoffhw.Start(args))
        {
            job = JobOf(output, run);
            WaitFor(() => File.Exists(TaskJournalOf(output, 1)), run, "task 1 to start");
            node = Slurm("squeue", "--noheader", "--jobs", job, "--format=%N").Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Trim();
            Slurm("scontrol", "update", $"nodename={node}", "state=down", "reason=kirchhoffhw-test");
            first = run.Wait();
        }
        JobTests.WaitForNodeIdle(node);
        Assert.That(first.Code, Is.EqualTo(2), first.Err);
        Assert.That(first.Err, Does.Contain($": task 1 ({job}_1) was killed by Slurm: its node failed (NODE_FAIL); resubmit it; case"));
        Assert.That(first.Err, Does.Match(@": \d of 6 cases are verified and journaled, \d are not"));

        var second = Kirchhoffhw.Run(args);
        Assert.That(second.Code, Is.EqualTo(0), second.Err);
        AssertSameVerdict(_slow, output);
    }

    [Test]
    public void When_TheClusterRefusesTheJob_Expect_SbatchsOwnMessage_AndAnEarlierVerdictKept()
    {
        using var tmp = new TempFolder();
        var output = tmp.File("verdict.json");
        File.WriteAllText(output, "an earlier verdict");
        var (code, _, err) = Kirchhoffhw.Run(Verify(output, "--scheduler", "slurm", "--partition", "no-such-partition"));
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err, Does.Contain($"error: {output}.slurm/submit-1.sbatch: Slurm refused the job: sbatch: error: invalid partition specified: no-such-partition"));
        Assert.That(File.ReadAllText(output), Is.EqualTo("an earlier verdict"));
    }

    [Test]
    public void When_FlowRunsItsVerificationThroughSlurm_Expect_TheVerdictOfALocalFlow()
    {
        using var tmp = new TempFolder();
        string[] Flow(string folder, params string[] more) =>
            ["flow", Spiral, "--random", "4", "--seed", "5", "--capacitance", "1p", "--time-unit", "1n", "-o", folder, .. more];
        var local = Kirchhoffhw.Run(Flow(tmp.File("local"), "--jobs", "2"));
        Assert.That(local.Code, Is.EqualTo(0), local.Err);
        var slurm = Kirchhoffhw.Run(Flow(tmp.File("slurm"), "--scheduler", "slurm", "--chunk", "2"));
        Assert.That(slurm.Code, Is.EqualTo(0), slurm.Err);
        Assert.That(slurm.Err, Does.Match(@"verify ideal: submitted job \d+: 2 tasks for 4 cases"));
        AssertSameVerdict(tmp.File("local/verdict.ideal.json"), tmp.File("slurm/verdict.ideal.json"), cases: 4);
        Assert.That(File.Exists(tmp.File("slurm/report.html")), Is.True);
    }

    private static string TaskJournalOf(string output, int task) => TaskJournal.FileFor(TaskJournal.DirectoryFor(output), task);

    /// <summary>Complete lines in a task's journal, read without a lock (the running task holds an exclusive one).</summary>
    private static int JournaledBy(string output, int task) =>
        TaskJournal.Read(TaskJournal.DirectoryFor(output), (string line, out string value) => { value = line; return true; })
            .Entries.Count(e => e.Task == task);

    private static string Cases(IReadOnlyList<int> indices) => (indices.Count == 1 ? "case " : "cases ") + string.Join(", ", indices);

    /// <summary>The job a running command submitted, from the record it keeps beside its output.</summary>
    private static string JobOf(string output, Kirchhoffhw run)
    {
        var jobs = output + ".slurm/jobs.json";
        WaitFor(() => File.Exists(jobs), run, "the job's submission");
        using var doc = JsonDocument.Parse(File.ReadAllText(jobs));
        return doc.RootElement.GetProperty("jobs")[0].GetProperty("job").GetString()!;
    }

    private static void WaitFor(Func<bool> condition, Kirchhoffhw run, string what)
    {
        // A bound against a hung test, not a timing assertion.
        using var wait = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        while (!condition())
        {
            if (run.HasExited) Assert.Fail($"kirchhoffhw ended while the test waited for {what}:\n{run.Wait().Err}");
            wait.Token.ThrowIfCancellationRequested();
            Thread.Sleep(50);
        }
    }

    private static string Slurm(string program, params string[] args)
    {
        var result = new SlurmCommands(SlurmOptions.Default).Run(program, args);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.Message);
        return result.Stdout;
    }
}
