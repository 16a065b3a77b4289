using KirchhoffHw.Model;

namespace KirchhoffHw.Slurm;

/// <summary>How a verification's cases are spread over a Slurm job array, as the command line asked.</summary>
public sealed record SlurmSettings
{
    /// <summary>The program a task runs and the arguments that put it in worker mode; the runner adds `--plan FILE`.</summary>
    public required IReadOnlyList<string> WorkerCommand { get; init; }

    public string? Partition { get; init; }

    /// <summary>At most this many tasks at once (sbatch's `%N`); null lets Slurm decide.</summary>
    public int? MaxParallel { get; init; }

    /// <summary>Site options (account, time, mem, ...), each an sbatch long option.</summary>
    public IReadOnlyList<SchedulerOption> Options { get; init; } = [];

    /// <summary>Cases per array task; null = one, raised when the cases outnumber the cluster's MaxArraySize.</summary>
    public int? Chunk { get; init; }

    /// <summary>Forget what an earlier run of the same output left (its task journals; its jobs still in flight are cancelled).</summary>
    public bool Fresh { get; init; }

    /// <summary>How the Slurm commands are found and how often a job is polled.</summary>
    public SlurmOptions Client { get; init; } = SlurmOptions.Default;

    public void Validate()
    {
        var problems = new List<Diagnostic>();
        void Problem(string where, string what) => problems.Add(new Diagnostic(new SourceLocation(where), what));
        if (WorkerCommand.Count == 0 || string.IsNullOrEmpty(WorkerCommand[0])) Problem("<options>", "no kirchhoffhw program for the tasks to run");
        if (MaxParallel is < 1) Problem("--max-parallel", $"must be at least 1, not {MaxParallel}");
        if (Chunk is < 1) Problem("--chunk", $"must be at least 1 case per task, not {Chunk}");
        if (Partition is { Length: 0 }) Problem("--partition", "empty partition name");
        if (problems.Count > 0) throw new KirchhoffHwException(problems);
        if (Partition is not null) Quoting.Directive(Partition, "--partition");
    }
}

/// <summary>Where the tasks load the run from: the files the command was given, made absolute for other nodes.</summary>
/// <param name="Model">The checkpoint or design file.</param>
/// <param name="Config">The checkpoint's config.yaml; null = beside it.</param>
/// <param name="Tech">The technology file; null = the shipped default.</param>
/// <param name="Backend">The co-simulation backend's name.</param>
public sealed record TaskSource(string Model, string? Config, string? Tech, string Backend)
{
    public TaskSource Absolute() => this with
    {
        Model = Path.GetFullPath(Model),
        Config = Config is null ? null : Path.GetFullPath(Config),
        Tech = Tech is null ? null : Path.GetFullPath(Tech),
    };
}

/// <summary>Where a verification through Slurm stands: its jobs' tasks and the cases journaled so far (finished ones included).</summary>
public sealed record SlurmProgress(int CasesDone, int CasesTotal, int Pending, int Running, int Completed, int Failed, IReadOnlyList<string> JobIds)
{
    public override string ToString() =>
        $"{(JobIds.Count == 1 ? "job" : "jobs")} {string.Join(", ", JobIds)}: tasks {Pending} pending, {Running} running, {Completed} done, {Failed} failed; " +
        $"{CasesDone}/{CasesTotal} cases journaled";
}
