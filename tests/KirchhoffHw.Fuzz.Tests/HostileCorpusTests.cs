using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace KirchhoffHw.Fuzz.Tests;

/// <summary>
/// Runs the whole hostile corpus through the command line, each case in its own folder and process, and counts
/// what issue 12 forbids: code executions (a payload's marker file), injected lines (a payload's EVIL token
/// outside a comment, a live .control/shell/.include line in a deck, raw markup in a report, a raw ESC on the
/// terminal), crashes (an exit other than 0, 1 or 2, a stack trace), hangs (no exit within 60 s), and lost or
/// damaged files (an existing output changed by a failed run, a link's target written, a temporary left
/// behind). Every count must be zero, and every case must end with the exit code it is listed with.
/// </summary>
[NonParallelizable]
public partial class HostileCorpusTests
{
    private sealed record Outcome(CorpusCase Case, CliResult Result, bool Executed, List<string> Injected, List<string> Damaged)
    {
        public bool UnexpectedExit => !Result.Hung && Result.Code != Case.Expected;
    }

    private const string Precious = "precious\n";
    private static readonly string[] Sentinels = ["out.json", "out.yaml", "out.cir"];

    /// <summary>
    /// A build that renames over device nodes (KIRCHHOFFHW_CLI pointing at an older one, to measure it) would
    /// replace /dev/null or /dev/stdout for the whole machine when run as root: those cases run only against
    /// the build under test.
    /// </summary>
    private static bool MachineWide(CorpusCase c) => c.Name is "/dev/null" or "/dev/stdout" or "/dev/stdin" or "a new file under /dev";

    /// <summary>
    /// The report cases start with the technology stage: the cells are characterized here first, into the run's
    /// cache, so that a case's 60 s measure the handling of its input, not ngspice characterizing cells.
    /// </summary>
    [OneTimeSetUp]
    public void CharacterizeCells()
    {
        var tech = Cells.Technology.Load(Cells.Technology.DefaultPath());
        Cells.CellLibrary.Build(tech, new Cells.Characterizer(tech));
    }

    [Test]
    public void When_The_Hostile_Corpus_Runs_Expect_No_Execution_Injection_Crash_Hang_Or_Damage()
    {
        var root = Path.Combine(Path.GetTempPath(), $"kh-corpus-{Guid.NewGuid():N}");
        var cases = Corpus.All().Where(c => Environment.GetEnvironmentVariable("KIRCHHOFFHW_CLI") is not { Length: > 0 } || !MachineWide(c)).ToList();
        var outcomes = new ConcurrentBag<Outcome>();
        try
        {
            Parallel.ForEach(cases.Select((c, i) => (c, i)), new ParallelOptions { MaxDegreeOfParallelism = 2 }, x => outcomes.Add(Run(x.c, Path.Combine(root, $"{x.i:D3}"))));
        }
        finally
        {
            Clean(root);
        }

        var all = outcomes.OrderBy(o => o.Case.Category).ThenBy(o => o.Case.Name).ToList();
        TestContext.Out.WriteLine($"{"category",-10} {"cases",5} {"exec",5} {"inject",6} {"crash",5} {"hang",5} {"damage",6} {"exit≠",5}");
        foreach (var g in all.GroupBy(o => o.Case.Category))
            TestContext.Out.WriteLine($"{g.Key,-10} {g.Count(),5} {g.Count(o => o.Executed),5} {g.Sum(o => o.Injected.Count),6} {g.Count(o => o.Result.Crashed),5} {g.Count(o => o.Result.Hung),5} {g.Sum(o => o.Damaged.Count),6} {g.Count(o => o.UnexpectedExit),5}");
        TestContext.Out.WriteLine($"{"all",-10} {all.Count,5} {all.Count(o => o.Executed),5} {all.Sum(o => o.Injected.Count),6} {all.Count(o => o.Result.Crashed),5} {all.Count(o => o.Result.Hung),5} {all.Sum(o => o.Damaged.Count),6} {all.Count(o => o.UnexpectedExit),5}");
        TestContext.Out.WriteLine($"exit codes: {string.Join(", ", all.GroupBy(o => o.Result.Hung ? "killed" : o.Result.Code.ToString()).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"))}");

        var problems = all.SelectMany(o => Problems(o).Select(p => $"{o.Case}: {p}")).ToList();
        foreach (var p in problems) TestContext.Out.WriteLine(p);
        Assert.That(problems, Is.Empty);
        Assert.That(all, Has.Count.EqualTo(cases.Count));
    }

    private static IEnumerable<string> Problems(Outcome o)
    {
        var r = o.Result;
        string Tail() => Regex.Replace(r.Err.Length > 600 ? r.Err[..600] : r.Err, @"\s+", " ");
        if (o.Executed) yield return "a payload ran (its marker file exists)";
        foreach (var i in o.Injected) yield return "injected: " + i;
        if (r.Hung) yield return $"no exit within {Cli.HangLimit.TotalSeconds:F0} s";
        if (r.Crashed) yield return $"crashed with exit {r.Code}: {Tail()}";
        foreach (var d in o.Damaged) yield return "damaged: " + d;
        if (o.UnexpectedExit) yield return $"exit {r.Code}, expected {o.Case.Expected}: {Tail()}";
    }

    private static Outcome Run(CorpusCase c, string dir)
    {
        Directory.CreateDirectory(dir);
        var f = new CaseFolder(dir);
        var args = c.Prepare(f);
        foreach (var s in Sentinels.Select(f.P))
            if (!File.Exists(s) && Model.IO.FileKinds.Of(s, followLinks: false) == Model.IO.FileKind.Missing) File.WriteAllText(s, Precious);
        var temps = Temporaries(dir).Where(t => !Path.GetFileName(t).StartsWith(".out.json.999999999.", StringComparison.Ordinal)).ToHashSet();
        var result = Cli.Run(dir, args, c.Env);

        var damaged = new List<string>();
        if (result.Code != 0 || result.Hung)
            foreach (var s in Sentinels.Select(f.P))
                if (Model.IO.FileKinds.Of(s, followLinks: false) == Model.IO.FileKind.Regular && File.ReadAllText(s) != Precious)
                    damaged.Add($"{Path.GetFileName(s)} was changed by a failed run");
        damaged.AddRange(Temporaries(dir).Where(t => !temps.Contains(t)).Select(t => $"{Path.GetRelativePath(dir, t)} left behind"));
        try
        {
            if (c.Check?.Invoke(f, result) is { } problem) damaged.Add(problem);
        }
        catch (Exception e) when (e is Model.KirchhoffHwException or IOException or InvalidOperationException)
        {
            damaged.Add($"its output cannot be read back: {e.Message}");
        }
        return new Outcome(c, result, File.Exists(f.Marker) || File.Exists(Path.Combine(Environment.CurrentDirectory, "EXECUTED")), Injected(dir, result), damaged);
    }

    private static IEnumerable<string> Temporaries(string dir) =>
        Directory.EnumerateFiles(dir, "*.tmp", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true });

    [GeneratedRegex(@"^\s*(\.control|\.endc|shell\b|\.include|\.lib\b|\.exec|source\b)", RegexOptions.IgnoreCase)]
    private static partial Regex LiveDeckLine();

    [GeneratedRegex(@"(?<!\\)<\s*(script|img)|(?<!\\)\]\(")]
    private static partial Regex LiveMarkdown();

    [GeneratedRegex(@"<\s*(script|img)", RegexOptions.IgnoreCase)]
    private static partial Regex LiveHtml();

    /// <summary>The token as a word of its own: inside a cleaned identifier (module_EVIL_x) it is no syntax.</summary>
    [GeneratedRegex(@"(?<![A-Za-z0-9_])EVIL(?![A-Za-z0-9_])")]
    private static partial Regex Token();

    /// <summary>Lines of the outputs where a payload became syntax, and raw ESC characters on the terminal.</summary>
    private static List<string> Injected(string dir, CliResult result)
    {
        var found = new List<string>();
        if (result.All.Contains('\u001b')) found.Add("a raw ESC reached the terminal");
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            if (Model.IO.FileKinds.Of(file, followLinks: false) != Model.IO.FileKind.Regular) continue;
            var ext = Path.GetExtension(file);
            bool output = ext is ".cir" or ".va" or ".vams" or ".md" or ".html" || Path.GetFileName(file) == "out.yaml";
            if (!output || File.ReadAllText(file) == Precious) continue;
            int n = 0;
            foreach (var line in File.ReadLines(file))
            {
                n++;
                string where = $"{Path.GetRelativePath(dir, file)}:{n}: {(line.Length > 120 ? line[..120] : line)}";
                bool evil = Token().IsMatch(line);
                bool live = ext switch
                {
                    // a deck's first line is its title, which ngspice never reads as a statement
                    ".cir" => n > 1 && (LiveDeckLine().IsMatch(line) || (evil && !line.TrimStart().StartsWith('*'))),
                    ".va" or ".vams" => evil && !line.TrimStart().StartsWith("//"),
                    ".md" => evil && LiveMarkdown().IsMatch(line),
                    ".html" => evil && LiveHtml().IsMatch(line),
                    _ => evil && !line.StartsWith("name: ", StringComparison.Ordinal),
                };
                if (live) found.Add(where);
            }
        }
        return found;
    }

    private static void Clean(string root)
    {
        if (!Directory.Exists(root)) return;
        // links and FIFOs are removed as themselves, never followed
        foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).OrderByDescending(e => e.Length).ToList())
        {
            var kind = Model.IO.FileKinds.Of(entry, followLinks: false);
            try
            {
                if (kind == Model.IO.FileKind.Directory) Directory.Delete(entry);
                else if (kind != Model.IO.FileKind.Missing) File.Delete(entry);
            }
            catch (IOException) { }
        }
        Directory.Delete(root, recursive: true);
    }
}
