using KirchhoffHw.Model;

namespace KirchhoffHw.Slurm.Tests;

public sealed class ScriptTests
{
    private static ArrayJobSpec Spec(string folder) => new()
    {
        Name = "tiny run",
        Command = ["/bin/echo", "hello"],
        TaskCount = 4,
        LogDirectory = Path.Combine(folder, "logs"),
        WorkingDirectory = folder,
    };

    [Test]
    public void When_PlainSpecWritten_Expect_DirectivesThenOneExecLine()
    {
        var text = SbatchScript.Format(Spec("/work/run") with
        {
            MaxParallel = 2,
            Partition = "local",
            JournalDirectory = "/work/run/verdict.json.journal.d",
            Options = [SchedulerOption.Parse("time=01:00:00"), SchedulerOption.Parse("account=proj")],
        });
        var lines = text.Split('\n');
        Assert.That(lines[0], Is.EqualTo("#!/bin/bash"));
        Assert.That(lines.Where(l => l.StartsWith("#SBATCH ")), Is.EqualTo(new[]
        {
            "#SBATCH --job-name=tiny_run",
            "#SBATCH --array=0-3%2",
            "#SBATCH --output=\"/work/run/logs/%A_%a.log\"",
            "#SBATCH --chdir=\"/work/run\"",
            "#SBATCH --partition=\"local\"",
            "#SBATCH --time=\"01:00:00\"",
            "#SBATCH --account=\"proj\"",
        }));
        // sbatch stops reading directives at the first command, so they must all come before it.
        var firstCommand = Array.FindIndex(lines, l => l.Length > 0 && !l.StartsWith('#'));
        Assert.That(Array.FindLastIndex(lines, l => l.StartsWith("#SBATCH")), Is.LessThan(firstCommand));
        Assert.That(lines, Does.Contain("export KIRCHHOFFHW_TASK_JOURNAL=/work/run/verdict.json.journal.d/task-\"$task\".jsonl"));
        Assert.That(lines, Does.Contain("cd /work/run"));
        Assert.That(lines.Last(l => l.Length > 0), Is.EqualTo("exec /bin/echo hello"));
    }

    [Test]
    public void When_HostileValuesWritten_Expect_BashRunsExactlyTheGivenCommandWithTheGivenEnvironment()
    {
        using var tmp = new TempFolder("dir with 'quotes' \"and\" $(touch pwned) `x` %A");
        var argv = new List<string> { "/usr/bin/printf", "%s\\0" };
        argv.AddRange(QuotingTests.Hostile.Where(h => h.Length > 0));
        var env = new Dictionary<string, string> { ["KH_A"] = "$(touch pwned)", ["KH_B"] = "x'y\"z\nnext line", ["PATH_EXTRA"] = "" };
        var spec = Spec(tmp.Path) with
        {
            Name = "name\n#SBATCH --wrap=touch pwned",
            Command = argv,
            JournalDirectory = tmp.File("j d"),
            Environment = env,
            Partition = "p\" --wrap=\"touch pwned",
            Options = [SchedulerOption.Parse("comment=#x \"y\" 'z' \\ $(touch pwned)")],
        };
        var script = SbatchScript.WriteFile(spec, tmp.File("job.sbatch"));
        var text = File.ReadAllText(script);
        Assert.That(text.Split('\n').Count(l => l.StartsWith("#SBATCH")), Is.EqualTo(6));
        Assert.That(text, Does.Not.Contain("\n#SBATCH --wrap"));

        // Run the script body as a task would, and print the environment it built after the command.
        var (code, output, error) = Bash.Run(
            $"SLURM_ARRAY_TASK_ID=3 bash {Quoting.Shell(script)}; " +
            $"SLURM_ARRAY_TASK_ID=3 bash -c {Quoting.Shell(text.Replace("exec /usr/bin/printf", "/usr/bin/printf") + "\nprintf '%s\\0' \"$KIRCHHOFFHW_TASK_ID\" \"$KIRCHHOFFHW_TASK_JOURNAL\" \"$KH_A\" \"$KH_B\" \"$PWD\"")}",
            workingDirectory: Path.GetTempPath());
        Assert.That(code, Is.EqualTo(0), error);
        var words = output.Split('\0')[..^1];
        var n = argv.Count - 2;
        Assert.That(words[..n], Is.EqualTo(argv.Skip(2)));
        Assert.That(words[n..(2 * n)], Is.EqualTo(argv.Skip(2)));
        Assert.That(words[(2 * n)..], Is.EqualTo(new[]
            { "3", Path.Combine(tmp.File("j d"), "task-3.jsonl"), env["KH_A"], env["KH_B"], tmp.Path }));
        Assert.That(Directory.EnumerateFileSystemEntries(tmp.Path, "pwned", SearchOption.AllDirectories), Is.Empty);
        Assert.That(File.Exists(Path.Combine(Path.GetTempPath(), "pwned")), Is.False);
    }

    [Test]
    public void When_ScriptRunOutsideSlurm_Expect_ItStopsWithAMessage()
    {
        using var tmp = new TempFolder();
        var script = SbatchScript.WriteFile(Spec(tmp.Path), tmp.File("job.sbatch"));
        var (code, _, error) = Bash.Run($"env -u SLURM_ARRAY_TASK_ID bash {Quoting.Shell(script)}");
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(error, Does.Contain("this script runs as a Slurm array task"));
    }

    [Test]
    public void When_SpecIsBad_Expect_EveryProblemReported()
    {
        var e = Assert.Throws<KirchhoffHwException>(() => SbatchScript.Format(new ArrayJobSpec
        {
            Name = "x",
            Command = [],
            TaskCount = 0,
            LogDirectory = "relative/logs",
            MaxParallel = 0,
            Environment = new Dictionary<string, string> { ["BAD NAME"] = "1", ["1X"] = "2" },
        }))!;
        Assert.That(e.Diagnostics.Select(d => d.ToString()), Is.EqualTo(new[]
        {
            "command: an array job needs a program to run",
            "tasks: an array job needs at least one task, not 0",
            "--max-parallel: must be at least 1, not 0",
            "relative/logs: the log folder must be an absolute path",
            "environment: 'BAD NAME' is not a variable name",
            "environment: '1X' is not a variable name",
        }));
    }

    [TestCase(new[] { 0, 1, 2, 3 }, null, "0-3")]
    [TestCase(new[] { 3, 1, 1, 7, 8, 9, 5 }, 2, "1,3,5,7-9%2")]
    [TestCase(new[] { 42 }, 1, "42%1")]
    public void When_IndicesFormatted_Expect_SlurmRanges(int[] indices, int? max, string expected)
    {
        Assert.That(SbatchScript.ArraySpec(indices, max), Is.EqualTo(expected));
        Assert.That(JobRecords.ParseIndices(expected), Is.EqualTo(indices.Distinct().Order()));
    }
}
