using System.Diagnostics;
using System.Text.Json.Nodes;

namespace KirchhoffHw.Slurm.Tests;

/// <summary>
/// The kirchhoffhw program built beside the tests, run as a user runs it (its own process, its exit code, its
/// stdout and stderr). Its array tasks run the same program, so what is tested is what a cluster runs.
/// </summary>
internal sealed class Kirchhoffhw : IDisposable
{
    public static string Program => Path.Combine(AppContext.BaseDirectory, "kirchhoffhw");

    private readonly Process _process;
    private readonly Task<string> _out, _err;

    private Kirchhoffhw(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(Program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        _process = Process.Start(start)!;
        _process.StandardInput.Close();
        _out = _process.StandardOutput.ReadToEndAsync();
        _err = _process.StandardError.ReadToEndAsync();
    }

    /// <summary>Starts the program and returns at once (the test acts while it runs).</summary>
    public static Kirchhoffhw Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null) => new(args, environment);

    public static (int Code, string Out, string Err) Run(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var p = Start(args, environment);
        return p.Wait();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Waits for the end; a bound against a hung test, not a timing assertion.</summary>
    public (int Code, string Out, string Err) Wait()
    {
        if (!_process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail("kirchhoffhw did not finish within 10 minutes:\n" + _err.Result);
        }
        _process.WaitForExit();
        return (_process.ExitCode, _out.Result, _err.Result);
    }

    /// <summary>SIGKILL: the program gets no chance to cancel its job (a closed session, a killed login node).</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}

/// <summary>Verdict files compared the way the issue asks: every field but the wall-clock ones.</summary>
internal static class VerdictFiles
{
    private static readonly HashSet<string> Timing = ["elapsed_s"];

    /// <summary>The first difference between two verdict files outside timing fields, as a JSON path; null when there is none.</summary>
    public static string? Difference(string expectedPath, string actualPath) =>
        Difference(JsonNode.Parse(File.ReadAllText(expectedPath)), JsonNode.Parse(File.ReadAllText(actualPath)), "$");

    private static string? Difference(JsonNode? a, JsonNode? b, string path)
    {
        switch (a, b)
        {
            case (JsonObject x, JsonObject y):
                var keys = x.Select(p => p.Key).Concat(y.Select(p => p.Key)).Where(k => !Timing.Contains(k)).Distinct();
                foreach (var k in keys)
                {
                    if (!x.ContainsKey(k) || !y.ContainsKey(k)) return $"{path}.{k}: present in only one file";
                    if (Difference(x[k], y[k], $"{path}.{k}") is { } d) return d;
                }
                return null;
            case (JsonArray x, JsonArray y):
                if (x.Count != y.Count) return $"{path}: {x.Count} against {y.Count} items";
                for (int i = 0; i < x.Count; i++)
                    if (Difference(x[i], y[i], $"{path}[{i}]") is { } d) return d;
                return null;
            default:
                return JsonNode.DeepEquals(a, b) ? null : $"{path}: {a?.ToJsonString()} against {b?.ToJsonString()}";
        }
    }

    /// <summary>How many fields outside timing the file holds: a comparison that found no difference compared something.</summary>
    public static int Leaves(string path) => Leaves(JsonNode.Parse(File.ReadAllText(path)));

    private static int Leaves(JsonNode? n) => n switch
    {
        JsonObject o => o.Where(p => !Timing.Contains(p.Key)).Sum(p => Leaves(p.Value)),
        JsonArray a => a.Sum(Leaves),
        _ => 1,
    };
}
