using System.Globalization;
using System.Text;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Generate.Templating;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Slurm.Journal;

namespace KirchhoffHw.Slurm;

/// <summary>
/// Writes the sbatch array script of an <see cref="ArrayJobSpec"/> through `templates/slurm/array.sbatch.sbn`.
/// Every value is quoted here (<see cref="Quoting"/>), so the template only lays lines out. The script is
/// complete on its own: `sbatch --array=LIST script` resubmits any tasks by hand.
/// </summary>
public static class SbatchScript
{
    public const string Template = "slurm/array.sbatch.sbn";

    public static void Write(ArrayJobSpec spec, TextWriter output, TemplateSet? templates = null)
    {
        spec.Validate();
        var workingDirectory = spec.WorkingDirectory ?? Environment.CurrentDirectory;
        var directives = new List<string>
        {
            "--job-name=" + Names.Identifier(spec.Name, "kirchhoffhw"),
            "--array=" + ArraySpec(Enumerable.Range(0, spec.TaskCount), spec.MaxParallel),
            "--output=" + Quoting.Directive(LogPattern(spec.LogDirectory), "log folder"),
            "--chdir=" + Quoting.Directive(workingDirectory, "working folder"),
        };
        if (spec.Partition is not null) directives.Add("--partition=" + Quoting.Directive(spec.Partition, "--partition"));
        directives.AddRange(spec.Options.Select(o => o.Directive));

        var exports = spec.Environment.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => kv.Key + "=" + Quoting.Shell(kv.Value, kv.Key)).ToList();
        var model = new ScriptModel(
            Comment: Names.CommentText(spec.Name),
            Directives: directives,
            JournalDirectory: spec.JournalDirectory is null ? null : Quoting.Shell(spec.JournalDirectory, "journal folder"),
            JournalVariable: TaskJournal.FileVariable,
            Exports: exports,
            WorkingDirectory: Quoting.Shell(workingDirectory, "working folder"),
            Command: string.Join(' ', spec.Command.Select(a => Quoting.Shell(a, "command"))));
        (templates ?? TemplateSet.Default).Render(Template, model, output);
    }

    public static string Format(ArrayJobSpec spec, TemplateSet? templates = null)
    {
        var w = new StringWriter { NewLine = "\n" };
        Write(spec, w, templates);
        return w.ToString();
    }

    /// <summary>Writes the script to <paramref name="path"/> (atomically) and returns its full path.</summary>
    public static string WriteFile(ArrayJobSpec spec, string path, TemplateSet? templates = null)
    {
        var text = Format(spec, templates);
        AtomicFile.WriteAllText(path, text);
        return Path.GetFullPath(path);
    }

    /// <summary>The `--output` pattern: Slurm fills in the array job id (%A) and the task index (%a).</summary>
    public static string LogPattern(string logDirectory) =>
        Quoting.FilenamePatternFolder(Path.TrimEndingDirectorySeparator(logDirectory), "log folder") + "/%A_%a.log";

    /// <summary>The log of one task, as Slurm names it from <see cref="LogPattern"/>.</summary>
    public static string LogPath(string logDirectory, string arrayJobId, int index) =>
        Path.Combine(logDirectory, arrayJobId + "_" + index.ToString(CultureInfo.InvariantCulture) + ".log");

    /// <summary>sbatch's `--array` value: sorted indices as ranges ("0-3,7,9-10"), then `%N` for a throttle.</summary>
    public static string ArraySpec(IEnumerable<int> indices, int? maxParallel)
    {
        var sorted = indices.Distinct().Order().ToList();
        if (sorted.Count == 0) throw new ArgumentException("no array indices", nameof(indices));
        if (sorted[0] < 0) throw new ArgumentException("array indices are not negative", nameof(indices));
        var sb = new StringBuilder();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            if (sb.Length > 0) sb.Append(',');
            sb.Append(sorted[i].ToString(CultureInfo.InvariantCulture));
            if (j > i) sb.Append('-').Append(sorted[j].ToString(CultureInfo.InvariantCulture));
            i = j + 1;
        }
        if (maxParallel is { } n) sb.Append('%').Append(n.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    private sealed record ScriptModel(
        string Comment,
        IReadOnlyList<string> Directives,
        string? JournalDirectory,
        string JournalVariable,
        IReadOnlyList<string> Exports,
        string WorkingDirectory,
        string Command);
}
