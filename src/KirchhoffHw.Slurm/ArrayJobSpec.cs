using KirchhoffHw.Model;

namespace KirchhoffHw.Slurm;

/// <summary>
/// What an array job runs: one <see cref="Command"/> per task index, told its index through
/// `KIRCHHOFFHW_TASK_ID` (and `SLURM_ARRAY_TASK_ID`) and its journal file through `KIRCHHOFFHW_TASK_JOURNAL`.
/// Paths are absolute by the time the script is written, because a task starts on a compute node in Slurm's
/// spool folder; on a multi-node cluster they must be on a filesystem every node mounts.
/// </summary>
public sealed record ArrayJobSpec
{
    /// <summary>The job name Slurm shows (reduced to an identifier).</summary>
    public required string Name { get; init; }

    /// <summary>The program and its arguments, run once per task (no shell in between).</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>Array indices 0 .. TaskCount-1.</summary>
    public required int TaskCount { get; init; }

    /// <summary>Where each task's log goes, as `&lt;job id&gt;_&lt;index&gt;.log` (Slurm's `%A_%a`).</summary>
    public required string LogDirectory { get; init; }

    /// <summary>The per-task journal folder (<see cref="Journal.TaskJournal.DirectoryFor"/>), if the tasks keep one.</summary>
    public string? JournalDirectory { get; init; }

    /// <summary>The tasks' working folder (default: the submitting process's).</summary>
    public string? WorkingDirectory { get; init; }

    public string? Partition { get; init; }

    /// <summary>At most this many tasks run at once (sbatch's `--array=...%N`); null lets Slurm decide.</summary>
    public int? MaxParallel { get; init; }

    /// <summary>Site options: account, time, mem, qos, constraint, ...</summary>
    public IReadOnlyList<SchedulerOption> Options { get; init; } = [];

    /// <summary>Variables exported to every task, beside the submitting shell's environment that sbatch passes on.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    internal void Validate()
    {
        var problems = new List<Diagnostic>();
        void Problem(string where, string what) => problems.Add(new Diagnostic(new SourceLocation(where), what));
        if (Command.Count == 0 || string.IsNullOrEmpty(Command[0])) Problem("command", "an array job needs a program to run");
        if (TaskCount < 1) Problem("tasks", $"an array job needs at least one task, not {TaskCount}");
        if (MaxParallel is < 1) Problem("--max-parallel", $"must be at least 1, not {MaxParallel}");
        if (!Path.IsPathFullyQualified(LogDirectory)) Problem(LogDirectory, "the log folder must be an absolute path");
        if (JournalDirectory is not null && !Path.IsPathFullyQualified(JournalDirectory)) Problem(JournalDirectory, "the journal folder must be an absolute path");
        if (WorkingDirectory is not null && !Path.IsPathFullyQualified(WorkingDirectory)) Problem(WorkingDirectory, "the working folder must be an absolute path");
        if (Partition is { Length: 0 }) Problem("--partition", "empty partition name");
        foreach (var name in Environment.Keys)
            if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_') || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                Problem("environment", $"'{name}' is not a variable name");
        if (problems.Count > 0) throw new KirchhoffHwException(problems);
    }
}
