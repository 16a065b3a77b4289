using Spectre.Console;

namespace KirchhoffHw.Cli.Commands;

/// <summary>
/// Progress of a multi-stage run: one live bar per stage on a terminal, a line per stage change (and every few
/// seconds within a stage) otherwise, so logs and CI see where the flow is.
/// </summary>
internal sealed class StageProgress(Console console)
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private string? _lastStage;
    private TimeSpan _lastLine;

    /// <summary>A line that must stay visible (a submitted job's id and logs): above the live bars on a terminal, a line of the log otherwise.</summary>
    public void Notice(string stage, string text)
    {
        if (console.Interactive) AnsiConsole.MarkupLine(Markup.Escape($"{stage}: {text}"));
        else console.Err.WriteLine($"{stage}: {text}");
    }

    public T Run<T>(Func<Action<Flow.FlowProgress>, T> work)
    {
        if (console.Interactive)
        {
            return AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var tasks = new Dictionary<string, ProgressTask>();
                    return work(p =>
                    {
                        if (!tasks.TryGetValue(p.Stage, out var task))
                        {
                            foreach (var t in tasks.Values) if (!t.IsFinished) t.Value = t.MaxValue;
                            tasks[p.Stage] = task = ctx.AddTask(p.Stage, maxValue: Math.Max(1, p.Total));
                        }
                        task.MaxValue = Math.Max(1, p.Total);
                        task.Value = p.Done;
                        task.Description = p.Note is null ? p.Stage : $"{p.Stage}: {Markup.Escape(p.Note)}";
                    });
                });
        }
        return work(p =>
        {
            bool change = p.Stage != _lastStage || p.Done >= p.Total;
            if (!change && _clock.Elapsed - _lastLine < TimeSpan.FromSeconds(5)) return;
            _lastStage = p.Stage;
            _lastLine = _clock.Elapsed;
            console.Err.WriteLine($"{p.Stage}: {p.Done}/{p.Total} ({_clock.Elapsed.TotalSeconds:F1} s){(p.Note is null ? "" : " " + p.Note)}");
        });
    }
}
