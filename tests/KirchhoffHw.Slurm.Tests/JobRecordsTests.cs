using KirchhoffHw.Model;

namespace KirchhoffHw.Slurm.Tests;

/// <summary>
/// The state readers on Slurm's own output. Fixtures/scontrol-*.txt were captured from this project's cluster
/// (Slurm 22.05.8, `scontrol show job -o`): a throttled 4-task array whose job name holds quotes, `#` and a
/// backslash, with task 2 exiting 3; tasks cancelled by scancel; a task past its 1-minute limit; a task whose
/// node was set down. The sacct lines follow `sacct -n -P -X --format=JobID,State,ExitCode,NodeList,Reason`.
/// </summary>
public sealed class JobRecordsTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    private static IEnumerable<(string Indices, string State, int? Code, int? Signal, string? Reason)> Rows(IReadOnlyList<JobRecord> records) =>
        records.Select(r => (string.Join(",", r.Indices), r.State, r.ExitCode, r.Signal, r.Reason));

    [Test]
    public void When_ArrayIsThrottled_Expect_PendingBlockExpandedAndRunningTasks()
    {
        var records = JobRecords.ParseScontrol(Fixture("scontrol-pending.txt"), "48");
        Assert.That(Rows(records), Is.EqualTo(new (string, string, int?, int?, string?)[]
        {
            ("2,3", "PENDING", 0, 0, "JobArrayTaskLimit"),
            ("1", "RUNNING", 0, 0, null),
            ("0", "RUNNING", 0, 0, null),
        }));
        Assert.That(records[1].Node, Is.EqualTo("vm"));
        Assert.That(records[0].Node, Is.Null);
    }

    [Test]
    public void When_ATaskExitedNonZero_Expect_FailedWithItsExitCodeDespiteAHostileJobName()
    {
        var records = JobRecords.ParseScontrol(Fixture("scontrol-failed.txt"), "48");
        Assert.That(Rows(records), Is.EqualTo(new (string, string, int?, int?, string?)[]
        {
            ("3", "COMPLETED", 0, 0, null),
            ("2", "FAILED", 3, 0, "NonZeroExitCode"),
            ("1", "COMPLETED", 0, 0, null),
            ("0", "COMPLETED", 0, 0, null),
        }));
        Assert.That(JobRecords.ParseScontrol(Fixture("scontrol-failed.txt"), "4"), Is.Empty);
    }

    [Test]
    public void When_TasksWereCancelledKilledOrLostTheirNode_Expect_TheirStates()
    {
        Assert.That(Rows(JobRecords.ParseScontrol(Fixture("scontrol-cancelled.txt"), "45")), Is.EqualTo(new (string, string, int?, int?, string?)[]
        {
            ("2,3,4,5", "PENDING", 0, 0, "JobArrayTaskLimit"),
            ("1", "RUNNING", 0, 0, null),
            ("0", "CANCELLED", 0, 15, null),
        }));
        Assert.That(Rows(JobRecords.ParseScontrol(Fixture("scontrol-timeout.txt"), "43")),
            Is.EqualTo(new (string, string, int?, int?, string?)[] { ("1", "TIMEOUT", 0, 15, "TimeLimit") }));
        Assert.That(Rows(JobRecords.ParseScontrol(Fixture("scontrol-node-fail.txt"), "52")),
            Is.EqualTo(new (string, string, int?, int?, string?)[] { ("0", "NODE_FAIL", 0, 15, "NodeDown") }));
    }

    [Test]
    public void When_AccountingAnswers_Expect_SacctRowsRead()
    {
        const string output = "17_0|COMPLETED|0:0|node01|None\n17_1|OUT_OF_MEMORY|0:125|node02|None\n" +
                              "17_2|CANCELLED by 1000|0:15|node01|None\n17_[3-5%2]|PENDING|0:0|None assigned|JobArrayTaskLimit\n" +
                              "170_0|COMPLETED|0:0|node01|None\n";
        var records = JobRecords.ParseSacct(output, "17");
        Assert.That(Rows(records), Is.EqualTo(new (string, string, int?, int?, string?)[]
        {
            ("0", "COMPLETED", 0, 0, null),
            ("1", "OUT_OF_MEMORY", 0, 125, null),
            ("2", "CANCELLED by 1000", 0, 15, null),
            ("3,4,5", "PENDING", 0, 0, "JobArrayTaskLimit"),
        }));
        Assert.That(records[3].Node, Is.Null);
        Assert.That(records.Select(r => TaskStates.Parse(r.State)),
            Is.EqualTo(new[] { TaskState.Completed, TaskState.OutOfMemory, TaskState.Cancelled, TaskState.Pending }));
    }

    [TestCase("PENDING", TaskState.Pending)]
    [TestCase("REQUEUED", TaskState.Pending)]
    [TestCase("CONFIGURING", TaskState.Pending)]
    [TestCase("RUNNING", TaskState.Running)]
    [TestCase("COMPLETING", TaskState.Running)]
    [TestCase("SUSPENDED", TaskState.Running)]
    [TestCase("COMPLETED", TaskState.Completed)]
    [TestCase("FAILED", TaskState.Failed)]
    [TestCase("CANCELLED by 0", TaskState.Cancelled)]
    [TestCase("TIMEOUT", TaskState.Timeout)]
    [TestCase("NODE_FAIL", TaskState.NodeFail)]
    [TestCase("OUT_OF_MEMORY", TaskState.OutOfMemory)]
    [TestCase("PREEMPTED", TaskState.Preempted)]
    [TestCase("BOOT_FAIL", TaskState.Preempted)]
    [TestCase("SOMETHING_NEW", TaskState.Unknown)]
    public void When_SlurmStateNamed_Expect_OurState(string slurm, TaskState expected) =>
        Assert.That(TaskStates.Parse(slurm), Is.EqualTo(expected));

    [Test]
    public void When_TasksDidNotComplete_Expect_OneLinePerTaskAtItsLog()
    {
        var job = new SlurmArrayJob("42", "/w/job.sbatch", "/w/logs", [0, 1, 2, 3, 4], null);
        ArrayTaskStatus S(int i, TaskState s, string raw, int? code = null) => new(i, job.TaskId(i), s, raw, job.LogPath(i), code);
        var result = new ArrayJobResult(job, [S(0, TaskState.Completed, "COMPLETED", 0), S(1, TaskState.Timeout, "TIMEOUT"),
            S(2, TaskState.OutOfMemory, "OUT_OF_MEMORY"), S(3, TaskState.Failed, "FAILED", 2), S(4, TaskState.Unknown, "not found")]);
        Assert.That(result.AllCompleted, Is.False);
        var e = Assert.Throws<KirchhoffHwException>(result.EnsureCompleted)!;
        Assert.That(e.Diagnostics.Select(d => d.ToString()), Is.EqualTo(new[]
        {
            "/w/logs/42_1.log: task 1 (42_1) was killed by Slurm at its time limit (TIMEOUT): raise it (--scheduler-option time=...) and resubmit",
            "/w/logs/42_2.log: task 2 (42_2) was killed by Slurm: out of memory (OUT_OF_MEMORY); raise --scheduler-option mem=... and resubmit",
            "/w/logs/42_3.log: task 3 (42_3) failed with exit code 2: see its log",
            "/w/logs/42_4.log: task 4 (42_4) is not known to Slurm (not found)",
        }));
        Assert.That(ArrayProgress.Of("42", result.Tasks).ToString(), Is.EqualTo("job 42: 1 pending, 0 running, 1 done, 3 failed of 5"));
    }
}
