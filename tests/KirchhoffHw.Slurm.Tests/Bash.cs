using System.Diagnostics;

namespace KirchhoffHw.Slurm.Tests;

/// <summary>Runs real bash: the quoting tests ask the shell itself what a written word means.</summary>
internal static class Bash
{
    public static (int Code, string Out, string Err) Run(string script, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using var p = Process.Start(start)!;
        p.StandardInput.Close();
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, o.Result, e.Result);
    }
}

/// <summary>A fresh folder under the system temp folder (optionally a named one inside it), removed afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    private readonly string _root;

    public string Path { get; }

    public TempFolder(string? name = null)
    {
        _root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kirchhoffhw-slurm-" + Guid.NewGuid().ToString("N")[..12]);
        Path = System.IO.Path.Combine(_root, name ?? "");
        Directory.CreateDirectory(Path);
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
