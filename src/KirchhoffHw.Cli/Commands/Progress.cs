using Spectre.Console;

namespace KirchhoffHw.Cli.Commands;

/// <summary>
/// Progress of a long run: a live bar on a terminal, a line every few seconds otherwise (logs, CI), so a
/// multi-minute simulation never looks hung.
/// </summary>
internal sealed class ProgressReporter(Console console, string title, int total)
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private TimeSpan? _lastLine;

    /// <summary>
    /// A line that must stay visible (a submitted job's id and logs): above the live bar on a terminal, a line of
    /// the log otherwise.
    /// </summary>
    public void Notice(string text)
    {
        if (console.Interactive) AnsiConsole.MarkupLine(Markup.Escape($"{title}: {text}"));
        else console.Err.WriteLine($"{title}: {text}");
    }

    public T Run<T>(Func<Action<int, string?>, T> work)
    {
        if (console.Interactive)
        {
            return AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(title, maxValue: Math.Max(1, total));
                    return work((done, note) =>
                    {
                        task.Value = done;
                        if (note is not null) task.Description = $"{title}: {note}";
                    });
                });
        }
        return work((done, note) =>
        {
            if (done < total && _lastLine is { } last && _clock.Elapsed - last < TimeSpan.FromSeconds(5)) return;
            _lastLine = _clock.Elapsed;
            console.Err.WriteLine($"{title}: {done}/{total} ({_clock.Elapsed.TotalSeconds:F1} s){(note is null ? "" : " " + note)}");
        });
    }
}

/// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and race the bar).</summary>
internal sealed class Inline<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
