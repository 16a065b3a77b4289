using System.Diagnostics;
using System.Text;

namespace KirchhoffHw.Fuzz.Tests;

/// <summary>What one command-line run showed from outside: its exit code, its output, whether it had to be killed.</summary>
internal sealed record CliResult(int Code, string Out, string Err, bool Hung)
{
    public string All => Out + Err;

    /// <summary>An exit that is not one of the documented codes, a stack trace, or the internal-error path.</summary>
    public bool Crashed => !Hung && (Code is not (0 or 1 or 2) || All.Contains("   at ") || All.Contains("Unhandled exception") || All.Contains("internal error:"));
}

/// <summary>
/// Runs `kirchhoffhw` as its own process (the build beside these tests, or KIRCHHOFFHW_CLI to point at another
/// one), with the memory limit pinned so size refusals do not depend on the machine, and kills it after
/// <see cref="HangLimit"/>: a stack overflow, an unhandled exception or a hang shows as it would to a user.
/// </summary>
internal static class Cli
{
    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    /// <summary>The limit every run gets, so that refusals name the same numbers on every machine.</summary>
    public const string MemoryLimit = "4G";

    public static string Dll => Environment.GetEnvironmentVariable("KIRCHHOFFHW_CLI") is { Length: > 0 } dll ? dll : Path.Combine(AppContext.BaseDirectory, "kirchhoffhw.dll");

    public static CliResult Run(string workDir, IReadOnlyList<string> args, IReadOnlyDictionary<string, string?>? env = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["KIRCHHOFFHW_MEMORY_LIMIT"] = MemoryLimit;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment.Remove("KIRCHHOFFHW_DEBUG");
        foreach (var (k, v) in env ?? new Dictionary<string, string?>())
            if (v is null) start.Environment.Remove(k); else start.Environment[k] = v;
        using var p = Process.Start(start)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        bool exited = p.WaitForExit(HangLimit);
        if (!exited)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit();
        }
        return new CliResult(exited ? p.ExitCode : -1, stdout.Result, stderr.Result, !exited);
    }

    public static CliResult Run(string workDir, params string[] args) => Run(workDir, args, null);
}
