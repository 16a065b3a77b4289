using KirchhoffHw.Model;
using KirchhoffHw.Slurm.Journal;

namespace KirchhoffHw.Slurm.Tests.Cluster;

/// <summary>Array jobs on the real cluster: each task runs a shell command and writes its own journal.</summary>
public sealed class JobTests
{
    private static readonly SlurmOptions Fast = SlurmOptions.Default with { PollInterval = TimeSpan.FromMilliseconds(500) };

    // Each task logs a greeting and appends one journal line `task <id>`, as a verifier task appends its cases.
    private const string TaskBody =
        "echo \"hello from task $KIRCHHOFFHW_TASK_ID\"; printf 'task %s\\n' \"$KIRCHHOFFHW_TASK_ID\" >> \"$KIRCHHOFFHW_TASK_JOURNAL\"";

    private static ArrayJobSpec Spec(TempFolder tmp, int tasks, string body) => new()
    {
        Name = "kirchhoffhw-test",
        Command = ["/bin/bash", "-c", body],
        TaskCount = tasks,
        LogDirectory = tmp.File("logs"),
        JournalDirectory = TaskJournal.DirectoryFor(tmp.File("result.json")),
        WorkingDirectory = tmp.Path,
    };

    private static bool ParseTask(string line, out int task)
    {
        task = -1;
        return line.StartsWith("task ", StringComparison.Ordinal) && int.TryParse(line.AsSpan(5), out task);
    }

    private static ArrayJobResult FollowWithTimeout(SlurmClient client, SlurmArrayJob job, List<ArrayProgress>? seen = null)
    {
        // A bound against a hung test, not a timing assertion.
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var progress = new SynchronousProgress(p => seen?.Add(p));
        return client.Follow(job, progress, cancel.Token);
    }

    [Test]
    public void When_FourTaskArrayRuns_Expect_AllCompletedWithLogsAndJournals()
    {
        using var tmp = new TempFolder();
        var client = new SlurmClient(Fast);
        // Found on its own unless the environment names a config (then that one is kept).
        Assert.That(client.ConfigFile, Is.EqualTo(Environment.GetEnvironmentVariable("SLURM_CONF") is { Length: > 0 }
            ? null : Path.Combine(RepoPaths.Root, ".cluster", "slurm.conf")));
        var job = client.Submit(Spec(tmp, 4, TaskBody) with { MaxParallel = 2 }, tmp.File("job.sbatch"));
        var seen = new List<ArrayProgress>();
        var result = FollowWithTimeout(client, job, seen);

        Assert.That(result.AllCompleted, Is.True, string.Join("\n", result.Tasks.Select(t => t.Describe())));
        Assert.That(result.Tasks.Select(t => (t.Index, t.SlurmId, t.ExitCode)),
            Is.EqualTo(Enumerable.Range(0, 4).Select(i => (i, $"{job.JobId}_{i}", (int?)0))));
        foreach (var t in result.Tasks)
        {
            Assert.That(t.LogPath, Is.EqualTo(tmp.File($"logs/{job.JobId}_{t.Index}.log")));
            Assert.That(File.ReadAllText(t.LogPath), Is.EqualTo($"hello from task {t.Index}\n"));
            Assert.That(t.Node, Is.Not.Null);
        }
        Assert.That(seen[^1].Completed, Is.EqualTo(4));
        Assert.That(seen.All(p => p.Total == 4 && p.Pending + p.Running + p.Completed + p.Failed == 4), Is.True);
        result.EnsureCompleted();

        var journal = TaskJournal.Read<int>(tmp.File("result.json.journal.d"), ParseTask);
        Assert.That(journal.Entries.Select(e => (e.Task, e.Value)), Is.EqualTo(Enumerable.Range(0, 4).Select(i => (i, i))));
        Assert.That(journal.Skipped, Is.Empty);
    }

    [Test]
    public void When_OneTaskExitsNonZero_Expect_FailedWithExitCodeAndLogInTheError()
    {
        using var tmp = new TempFolder();
        var client = new SlurmClient(Fast);
        var job = client.Submit(Spec(tmp, 3, TaskBody + "; [ \"$KIRCHHOFFHW_TASK_ID\" != 1 ] || { echo broken >&2; exit 3; }"),
            tmp.File("job.sbatch"));
        var result = FollowWithTimeout(client, job);
        Assert.That(result.Tasks.Select(t => t.State), Is.EqualTo(new[] { TaskState.Completed, TaskState.Failed, TaskState.Completed }));
        Assert.That(result.Tasks[1].ExitCode, Is.EqualTo(3));
        Assert.That(File.ReadAllText(result.Tasks[1].LogPath), Does.Contain("broken"));
        var e = Assert.Throws<KirchhoffHwException>(result.EnsureCompleted)!;
        Assert.That(e.Message, Is.EqualTo($"{job.LogPath(1)}: task 1 ({job.JobId}_1) failed with exit code 3: see its log"));
    }

    [Test]
    public void When_OneTaskIsCancelled_Expect_ResubmittingThatIndexCompletesTheJob()
    {
        using var tmp = new TempFolder();
        var client = new SlurmClient(Fast);
        var marker = tmp.File("first-run-of-task-1");
        // Task 1 blocks on its first run only, like a case that hung; its rerun goes straight through.
        var body = $"if [ \"$KIRCHHOFFHW_TASK_ID\" = 1 ] && [ ! -e {Quoting.Shell(marker)} ]; then touch {Quoting.Shell(marker)}; sleep 600; fi; " + TaskBody;
        var job = client.Submit(Spec(tmp, 3, body), tmp.File("job.sbatch"));

        using (var wait = new CancellationTokenSource(TimeSpan.FromMinutes(5)))
            while (!(client.Query(job)[1].State == TaskState.Running && File.Exists(marker)))
            {
                wait.Token.ThrowIfCancellationRequested();
                Thread.Sleep(200);
            }
        client.Cancel(job, [1]);
        var first = FollowWithTimeout(client, job);
        Assert.That(first.Tasks.Select(t => t.State), Is.EqualTo(new[] { TaskState.Completed, TaskState.Cancelled, TaskState.Completed }));
        var e = Assert.Throws<KirchhoffHwException>(first.EnsureCompleted)!;
        Assert.That(e.Message, Is.EqualTo($"{job.LogPath(1)}: task 1 ({job.JobId}_1) was cancelled: resubmit it"));
        Assert.That(File.ReadAllText(job.LogPath(1)), Does.Contain("CANCELLED"));

        var again = client.Resubmit(job, first.NotCompleted.Select(t => t.Index));
        Assert.That(again.JobId, Is.Not.EqualTo(job.JobId));
        Assert.That(again.Indices, Is.EqualTo(new[] { 1 }));
        var second = FollowWithTimeout(client, again);
        Assert.That(second.Tasks.Single().State, Is.EqualTo(TaskState.Completed));
        Assert.That(File.ReadAllText(again.LogPath(1)), Is.EqualTo("hello from task 1\n"));

        // Slurm requeues a task whose launch timed out on a busy node, so a task may journal twice; what the
        // resubmission must give is every index, task 1's from its rerun (TaskWorker skips journaled cases).
        var journal = TaskJournal.Read<int>(tmp.File("result.json.journal.d"), ParseTask);
        Assert.That(journal.Entries.Select(x => x.Value).Distinct().Order(), Is.EqualTo(new[] { 0, 1, 2 }),
            string.Join("; ", journal.Skipped));
        Assert.That(journal.Entries.Where(x => x.Value == 1).Select(x => x.Task), Is.All.EqualTo(1));
    }

    [Test]
    public void When_NodeFailsUnderATask_Expect_KilledBySlurmReported()
    {
        using var tmp = new TempFolder();
        var client = new SlurmClient(Fast);
        var started = tmp.File("started");
        // no-requeue: by default Slurm would requeue the task itself after a node failure.
        var job = client.Submit(Spec(tmp, 1, $"touch {Quoting.Shell(started)}; sleep 600") with
            { Options = [SchedulerOption.Parse("no-requeue")] }, tmp.File("job.sbatch"));
        using (var wait = new CancellationTokenSource(TimeSpan.FromMinutes(5)))
            while (!File.Exists(started))
            {
                wait.Token.ThrowIfCancellationRequested();
                Thread.Sleep(200);
            }
        var node = client.Query(job)[0].Node!;
        Scontrol("update", $"nodename={node}", "state=down", "reason=kirchhoffhw-test");
        var result = FollowWithTimeout(client, job);
        Assert.That(result.Tasks[0].State, Is.EqualTo(TaskState.NodeFail));
        Assert.That(result.Tasks[0].State.IsKilledBySlurm(), Is.True);
        var e = Assert.Throws<KirchhoffHwException>(result.EnsureCompleted)!;
        Assert.That(e.Message, Is.EqualTo($"{job.LogPath(0)}: task 0 ({job.JobId}_0) was killed by Slurm: its node failed (NODE_FAIL); resubmit it"));
        WaitForNodeIdle(node);
    }

    [Test]
    public void When_PartitionDoesNotExist_Expect_SlurmsRefusalInTheError()
    {
        using var tmp = new TempFolder();
        var client = new SlurmClient(Fast);
        var e = Assert.Throws<KirchhoffHwException>(() =>
            client.Submit(Spec(tmp, 2, TaskBody) with { Partition = "no-such-partition" }, tmp.File("job.sbatch")))!;
        Assert.That(e.Message, Is.EqualTo(
            $"{tmp.File("job.sbatch")}: Slurm refused the job: sbatch: error: invalid partition specified: no-such-partition; " +
            "sbatch: error: Batch job submission failed: Invalid partition name specified"));
    }

    [Test]
    public void When_SbatchIsNotOnPath_Expect_HintToStartTheCluster()
    {
        using var tmp = new TempFolder();
        var client = new SlurmClient(Fast with { SearchPath = tmp.Path });
        var e = Assert.Throws<KirchhoffHwException>(() => client.Submit(Spec(tmp, 1, TaskBody), tmp.File("job.sbatch")))!;
        Assert.That(e.Message, Is.EqualTo(
            "sbatch: sbatch not found on PATH: run `make cluster` to start this machine's Slurm cluster, or load your site's Slurm module"));
    }

    [Test]
    public void When_ValuesAreHostile_Expect_SlurmReadsThemLiterallyAndNothingIsInjected()
    {
        using var tmp = new TempFolder("logs with 'single' \"double\" $(touch pwned) `x` 100% #hash");
        var pwned = tmp.File("pwned");
        var comment = $"#not-a-comment \"q\" 'q' \\ $(touch {pwned}) `touch {pwned}`; --wrap=touch {pwned}";
        var argv = new[] { "/usr/bin/printf", "<%s>\\n", "a'b", "$(touch pwned)", "`touch pwned`", "*", "x\ny", "%A" };
        var client = new SlurmClient(Fast);
        var job = client.Submit(Spec(tmp, 1, "") with
        {
            Command = argv,
            LogDirectory = tmp.Path,
            Options = [SchedulerOption.Parse("comment=" + comment)],
        }, tmp.File("job.sbatch"));
        var result = FollowWithTimeout(client, job);
        result.EnsureCompleted();
        Assert.That(File.ReadAllText(job.LogPath(0)), Is.EqualTo(string.Concat(argv.Skip(2).Select(a => $"<{a}>\n"))));
        var show = Scontrol("show", "job", "-o", job.TaskId(0));
        Assert.That(show, Does.Contain($" Comment={comment} ").Or.Contain($" Comment={comment}\n"));
        Assert.That(show, Does.Contain($" WorkDir={tmp.Path} "));
        Assert.That(Directory.EnumerateFiles(Path.GetDirectoryName(tmp.Path)!, "pwned", SearchOption.AllDirectories), Is.Empty);
        Assert.That(File.Exists(Path.Combine(Path.GetTempPath(), "pwned")), Is.False);
    }

    private static string Scontrol(params string[] args)
    {
        var result = new SlurmCommands(SlurmOptions.Default).Run("scontrol", args);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.Message);
        return result.Stdout;
    }

    internal static void WaitForNodeIdle(string node)
    {
        var commands = new SlurmCommands(SlurmOptions.Default);
        using var wait = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            var state = commands.Run("sinfo", ["--noheader", "--nodes=" + node, "--format=%T"]).Stdout.Trim();
            if (state == "idle") return;
            // ReturnToService=2 brings the node back when slurmd answers; resume covers a node left down.
            if (state.StartsWith("down", StringComparison.Ordinal)) commands.Run("scontrol", ["update", $"nodename={node}", "state=resume"]);
            wait.Token.ThrowIfCancellationRequested();
            Thread.Sleep(200);
        }
    }

    private sealed class SynchronousProgress(Action<ArrayProgress> report) : IProgress<ArrayProgress>
    {
        public void Report(ArrayProgress value) => report(value);
    }
}
