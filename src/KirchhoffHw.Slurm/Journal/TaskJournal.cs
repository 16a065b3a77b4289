using System.Globalization;
using System.Text;

namespace KirchhoffHw.Slurm.Journal;

/// <summary>Parses one journal line; false for a line that is not an entry (a torn or foreign line).</summary>
public delegate bool JournalLineParser<T>(string line, out T value);

/// <summary>One entry read back: the array task whose file held it and its line there.</summary>
public sealed record JournalEntry<T>(int Task, string File, int Line, T Value);

/// <summary>A line that was not taken, and why (torn by an interrupted task, unreadable, a link).</summary>
public sealed record JournalSkip(string File, int Line, string Reason)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Reason}" : $"{File}: {Reason}";
}

public sealed record JournalContents<T>(IReadOnlyList<JournalEntry<T>> Entries, IReadOnlyList<JournalSkip> Skipped);

/// <summary>
/// The per-task journal layout of an array job: beside an output file, a folder `&lt;output&gt;.journal.d` with
/// one `task-&lt;id&gt;.jsonl` per array task, each written only by its task (<see cref="TaskJournalWriter"/>).
/// <see cref="Read{T}"/> merges them with a caller's line parser, so it knows nothing of what the lines mean.
/// </summary>
public static class TaskJournal
{
    public const string DirectorySuffix = ".journal.d";

    /// <summary>The variable through which an array task learns its journal file (set by the sbatch script).</summary>
    public const string FileVariable = "KIRCHHOFFHW_TASK_JOURNAL";

    public static string DirectoryFor(string outputPath) => Path.GetFullPath(outputPath) + DirectorySuffix;

    public static string FileFor(string directory, int task) =>
        Path.Combine(directory, "task-" + task.ToString(CultureInfo.InvariantCulture) + ".jsonl");

    /// <summary>
    /// Every entry of every task file in <paramref name="directory"/> (ordered by task, then line). A last line
    /// without its newline is a write cut short by a killed task and is skipped, as is any line the parser
    /// refuses; both are listed in <see cref="JournalContents{T}.Skipped"/>. A missing folder is an empty journal.
    /// </summary>
    public static JournalContents<T> Read<T>(string directory, JournalLineParser<T> parse)
    {
        var entries = new List<JournalEntry<T>>();
        var skipped = new List<JournalSkip>();
        if (Model.IO.FileKinds.Of(directory, followLinks: false) == Model.IO.FileKind.SymbolicLink)
            throw new Model.KirchhoffHwException(directory, "the journal folder is a symbolic link; it is never followed");
        if (!Directory.Exists(directory)) return new(entries, skipped);
        var files = new List<(int Task, string Path)>();
        foreach (var path in Directory.EnumerateFiles(directory, "task-*.jsonl"))
        {
            var name = Path.GetFileName(path);
            if (int.TryParse(name.AsSpan(5, name.Length - 5 - 6), NumberStyles.None, CultureInfo.InvariantCulture, out var task))
                files.Add((task, path));
        }
        foreach (var (task, path) in files.OrderBy(f => f.Task))
        {
            var bytes = Posix.ReadAllNoFollow(path);
            if (bytes is null)
            {
                skipped.Add(new JournalSkip(path, 0, "symbolic link ignored: a task journal is a plain file"));
                continue;
            }
            var line = 0;
            var start = 0;
            while (start < bytes.Length)
            {
                line++;
                var end = Array.IndexOf(bytes, (byte)'\n', start);
                if (end < 0)
                {
                    skipped.Add(new JournalSkip(path, line, "torn last line (its task was stopped while writing it)"));
                    break;
                }
                var text = Encoding.UTF8.GetString(bytes, start, end - start);
                start = end + 1;
                if (text.Length == 0) continue;
                if (parse(text, out var value)) entries.Add(new JournalEntry<T>(task, path, line, value));
                else skipped.Add(new JournalSkip(path, line, "unreadable line skipped"));
            }
        }
        return new(entries, skipped);
    }
}
