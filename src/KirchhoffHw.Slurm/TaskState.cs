namespace KirchhoffHw.Slurm;

/// <summary>Where an array task is, in Slurm's terms reduced to what a caller acts on.</summary>
public enum TaskState
{
    /// <summary>Not seen in Slurm (yet, or any more: its record was purged before it was followed).</summary>
    Unknown,
    Pending,
    Running,
    Completed,
    /// <summary>The task's command exited non-zero.</summary>
    Failed,
    Cancelled,
    /// <summary>Killed by Slurm at its time limit.</summary>
    Timeout,
    /// <summary>Killed by Slurm because its node failed.</summary>
    NodeFail,
    /// <summary>Killed by Slurm for exceeding its memory.</summary>
    OutOfMemory,
    /// <summary>Killed by Slurm for another job (preemption), a boot failure or a deadline.</summary>
    Preempted,
}

public static class TaskStates
{
    /// <summary>Slurm's state names (scontrol's JobState, sacct's State) to ours.</summary>
    public static TaskState Parse(string slurmState)
    {
        // sacct writes "CANCELLED by 0"; scontrol may append flags after '+'.
        var word = slurmState.Split([' ', '+'], 2)[0].Trim().ToUpperInvariant();
        return word switch
        {
            "PENDING" or "REQUEUED" or "REQUEUE_HOLD" or "REQUEUE_FED" or "RESV_DEL_HOLD" or "CONFIGURING" => TaskState.Pending,
            "RUNNING" or "COMPLETING" or "SUSPENDED" or "STOPPED" or "SIGNALING" or "STAGE_OUT" or "RESIZING" => TaskState.Running,
            "COMPLETED" => TaskState.Completed,
            "FAILED" or "SPECIAL_EXIT" => TaskState.Failed,
            "CANCELLED" or "REVOKED" => TaskState.Cancelled,
            "TIMEOUT" => TaskState.Timeout,
            "NODE_FAIL" => TaskState.NodeFail,
            "OUT_OF_MEMORY" => TaskState.OutOfMemory,
            "PREEMPTED" or "BOOT_FAIL" or "DEADLINE" => TaskState.Preempted,
            _ => TaskState.Unknown,
        };
    }

    public static bool IsFinished(this TaskState s) => s >= TaskState.Completed;

    public static bool IsKilledBySlurm(this TaskState s) =>
        s is TaskState.Timeout or TaskState.NodeFail or TaskState.OutOfMemory or TaskState.Preempted;

    /// <summary>The name used in messages and progress (Slurm's own spelling, lower case).</summary>
    public static string Label(this TaskState s) => s switch
    {
        TaskState.NodeFail => "node_fail",
        TaskState.OutOfMemory => "out_of_memory",
        _ => s.ToString().ToLowerInvariant(),
    };
}

/// <summary>One array task as last seen: its Slurm id (`&lt;array job&gt;_&lt;index&gt;`), state and log file.</summary>
public sealed record ArrayTaskStatus(
    int Index,
    string SlurmId,
    TaskState State,
    string SlurmState,
    string LogPath,
    int? ExitCode = null,
    int? Signal = null,
    string? Reason = null,
    string? Node = null)
{
    /// <summary>One line for a user: what happened to the task and what to do about it.</summary>
    public string Describe() => State switch
    {
        TaskState.Completed => $"task {Index} ({SlurmId}) completed",
        TaskState.Failed => $"task {Index} ({SlurmId}) failed" + (ExitCode is { } c ? $" with exit code {c}" : "") +
                            (Signal is { } s && s != 0 ? $" (signal {s})" : "") + ": see its log",
        TaskState.Cancelled => $"task {Index} ({SlurmId}) was cancelled: resubmit it",
        TaskState.Timeout => $"task {Index} ({SlurmId}) was killed by Slurm at its time limit (TIMEOUT): raise it (--scheduler-option time=...) and resubmit",
        TaskState.NodeFail => $"task {Index} ({SlurmId}) was killed by Slurm: its node failed (NODE_FAIL); resubmit it",
        TaskState.OutOfMemory => $"task {Index} ({SlurmId}) was killed by Slurm: out of memory (OUT_OF_MEMORY); raise --scheduler-option mem=... and resubmit",
        TaskState.Preempted => $"task {Index} ({SlurmId}) was killed by Slurm ({SlurmState}); resubmit it",
        TaskState.Unknown => $"task {Index} ({SlurmId}) is not known to Slurm ({SlurmState})",
        _ => $"task {Index} ({SlurmId}) is {State.Label()}",
    };
}

/// <summary>Counts for a progress display.</summary>
public sealed record ArrayProgress(string JobId, int Pending, int Running, int Completed, int Failed, IReadOnlyList<ArrayTaskStatus> Tasks)
{
    public int Total => Tasks.Count;

    public static ArrayProgress Of(string jobId, IReadOnlyList<ArrayTaskStatus> tasks) => new(jobId,
        tasks.Count(t => t.State is TaskState.Pending or TaskState.Unknown),
        tasks.Count(t => t.State == TaskState.Running),
        tasks.Count(t => t.State == TaskState.Completed),
        tasks.Count(t => t.State.IsFinished() && t.State != TaskState.Completed),
        tasks);

    public override string ToString() =>
        $"job {JobId}: {Pending} pending, {Running} running, {Completed} done, {Failed} failed of {Total}";
}
