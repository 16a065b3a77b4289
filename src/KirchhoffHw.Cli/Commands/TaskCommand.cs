using System.CommandLine;
using System.Globalization;
using KirchhoffHw.Model;
using KirchhoffHw.Slurm;
using KirchhoffHw.Slurm.Journal;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Cli.Commands;

/// <summary>
/// The worker of `--scheduler slurm` (hidden: the job script calls it): one array task, which rebuilds the submitted
/// verification from its plan, simulates its cases and journals each verdict in its own file. Its output is the
/// task's log. Exit code 0 once every case of the task is journaled, whatever the verdicts; 2 when it cannot run.
/// </summary>
internal static class TaskCommand
{
    public const string Name = "verify-task";

    /// <summary>The array index, as the job script exports it.</summary>
    public const string TaskVariable = "KIRCHHOFFHW_TASK_ID";

    public static Command Create(Console console)
    {
        var plan = new Option<string>("--plan") { Description = "The task plan a `--scheduler slurm` run wrote beside its output.", Required = true };
        var task = new Option<int?>("--task") { Description = $"The array index (default: ${TaskVariable}, which the job script sets)." };
        var command = new Command(Name, "Run one array task of a verification submitted with --scheduler slurm (called by its job script).") { Hidden = true };
        command.Options.Add(plan);
        command.Options.Add(task);
        command.SetAction((r, cancel) => Task.FromResult(Execute(r, cancel)));
        return command;

        int Execute(ParseResult r, CancellationToken cancel)
        {
            var planPath = r.GetValue(plan)!;
            var index = r.GetValue(task) ?? FromEnvironment();
            var journal = Environment.GetEnvironmentVariable(TaskJournal.FileVariable) is { Length: > 0 } j ? j : null;
            var w = console.Out;
            w.WriteLine($"task {index} of {planPath} on {Environment.MachineName}");
            var outcome = TaskWorker.Run(planPath, index, journal, TaskWorker.JobsFromEnvironment(),
                v => w.WriteLine($"case {v.Index}: {VerdictStatusText.Of(v.Pass).Text()} ({v.ElapsedSeconds.ToString("F1", CultureInfo.InvariantCulture)} s simulated)"), cancel);
            w.WriteLine($"task {index}: {outcome.Cases} cases, {outcome.Simulated} simulated, {outcome.AlreadyJournaled} journaled before; journal {outcome.JournalPath}");
            return App.ExitOk;
        }
    }

    private static int FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(TaskVariable);
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index)) return index;
        throw new KirchhoffHwException("--task", $"no array index: give --task N, or run as a Slurm array task (${TaskVariable} is {(text is null ? "not set" : $"'{Generate.Formatting.Names.CommentText(text)}'")})");
    }
}
