using System.CommandLine;
using KirchhoffHw.Model;
using KirchhoffHw.Slurm;

namespace KirchhoffHw.Cli.Commands;

internal enum SchedulerKind { Local, Slurm }

/// <summary>
/// --scheduler and the Slurm options of the verbs that verify (`verify`, `flow`): where the cases run. Local runs
/// them here, --jobs at a time; slurm spreads them over a job array whose tasks are this program in worker mode.
/// </summary>
internal sealed class SchedulerOptions
{
    public Choice<SchedulerKind> Scheduler { get; } = new("--scheduler",
        "Where the cases run: local (this machine, --jobs at a time; default) or slurm (a Slurm job array whose tasks run " +
        "--chunk cases each and journal them beside the output; the command follows the job, merges the verdicts and exits as " +
        "a local run would; run it again to resume: it submits only the cases no journal or live task has).", "local",
        ("local", SchedulerKind.Local), ("slurm", SchedulerKind.Slurm));

    public Option<string?> Partition { get; } = new("--partition") { Description = "Slurm partition for the tasks (default: the cluster's default partition)." };

    public Option<int?> MaxParallel { get; } = new("--max-parallel") { Description = "At most N tasks of the job run at once (default: as many as Slurm gives)." };

    public Option<string[]> SiteOptions { get; } = new("--scheduler-option")
    {
        Description = "An sbatch option for every task, KEY=VALUE or KEY (repeatable), e.g. account=proj42, time=04:00:00, mem=8G, qos=normal, no-requeue.",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<int?> Chunk { get; } = new("--chunk") { Description = "Cases per array task (default 1: a task per case; more when cases take seconds and a task's start-up would dominate)." };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Scheduler.Option, Partition, MaxParallel, SiteOptions, Chunk }) command.Options.Add(o);
    }

    /// <summary>The Slurm settings asked for, checked; null for a local run (which then takes none of them).</summary>
    public SlurmSettings? Settings(ParseResult r, bool fresh = false)
    {
        var siteOptions = r.GetValue(SiteOptions) ?? [];
        if (Scheduler.Get(r) == SchedulerKind.Local)
        {
            var given = new (string Name, bool Given)[]
            {
                (Partition.Name, r.GetValue(Partition) is not null), (MaxParallel.Name, r.GetValue(MaxParallel) is not null),
                (SiteOptions.Name, siteOptions.Length > 0), (Chunk.Name, r.GetValue(Chunk) is not null),
            }.Where(o => o.Given).Select(o => o.Name).ToList();
            if (given.Count > 0) throw new KirchhoffHwException("<options>", $"{string.Join(", ", given)} only apply with --scheduler slurm");
            return null;
        }
        var settings = new SlurmSettings
        {
            WorkerCommand = WorkerCommand(),
            Partition = r.GetValue(Partition),
            MaxParallel = r.GetValue(MaxParallel),
            Options = siteOptions.Select(SchedulerOption.Parse).ToList(),
            Chunk = r.GetValue(Chunk),
            Fresh = fresh,
        };
        settings.Validate();
        return settings;
    }

    /// <summary>
    /// This very program in worker mode: its apphost beside the assembly, else the running `dotnet` with the assembly.
    /// On a cluster the build must be on the shared filesystem, at the same path on every node.
    /// </summary>
    public static IReadOnlyList<string> WorkerCommand()
    {
        var directory = AppContext.BaseDirectory;
        var host = Path.Combine(directory, "kirchhoffhw");
        if (File.Exists(host)) return [host, TaskCommand.Name];
        return [Environment.ProcessPath ?? "dotnet", Path.Combine(directory, "kirchhoffhw.dll"), TaskCommand.Name];
    }
}
