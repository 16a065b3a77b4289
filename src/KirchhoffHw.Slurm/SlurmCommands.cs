using System.ComponentModel;
using System.Diagnostics;
using KirchhoffHw.Model;

namespace KirchhoffHw.Slurm;

/// <summary>What one Slurm command printed.</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>stderr's lines, or stdout's when stderr is empty, as one line.</summary>
    public string Message
    {
        get
        {
            var text = Stderr.Trim().Length > 0 ? Stderr : Stdout;
            return string.Join("; ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
    }
}

/// <summary>
/// Runs Slurm's client programs (sbatch, scontrol, sacct, scancel) with an argument list, never through a
/// shell. A program missing from PATH is bad setup, reported as such with the way to fix it.
/// </summary>
public sealed class SlurmCommands(SlurmOptions options)
{
    public static string MissingMessage(string program) =>
        $"{program} not found on PATH: run `make cluster` to start this machine's Slurm cluster, or load your site's Slurm module";

    public SlurmOptions Options { get; } = options;

    /// <summary>The SLURM_CONF the commands run with: the option, else the caller's environment, else this checkout's cluster.</summary>
    public string? ConfigFile { get; } = options.ConfigFile ?? SlurmSetup.LocateConfig();

    public CommandResult Run(string program, IEnumerable<string> arguments, CancellationToken cancel = default)
    {
        var path = Resolve(program) ?? throw new KirchhoffHwException(program, MissingMessage(program));
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        if (ConfigFile is not null) start.Environment["SLURM_CONF"] = ConfigFile;
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("process did not start");
        }
        catch (Win32Exception e)
        {
            throw new KirchhoffHwException(path, $"cannot run {program}: {e.Message}", e);
        }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(Options.CommandTimeout);
            try
            {
                process.WaitForExitAsync(timeout.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                process.WaitForExit();
                cancel.ThrowIfCancellationRequested();
                throw new KirchhoffHwException(program,
                    $"{program} did not answer within {Options.CommandTimeout.TotalSeconds:0} s: is slurmctld reachable?");
            }
            return new CommandResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
        }
    }

    /// <summary>Fails, with the way to fix it, unless every program is on the search path.</summary>
    public void Require(params string[] programs)
    {
        foreach (var program in programs)
            if (Resolve(program) is null) throw new KirchhoffHwException(program, MissingMessage(program));
    }

    /// <summary>The program's full path: itself when it names a path, else the first executable match on PATH.</summary>
    private string? Resolve(string program)
    {
        if (program.Contains('/')) return File.Exists(program) ? Path.GetFullPath(program) : null;
        var search = Options.SearchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in search.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate) && IsExecutable(candidate)) return candidate;
        }
        return null;
    }

    private static bool IsExecutable(string path) =>
        OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
