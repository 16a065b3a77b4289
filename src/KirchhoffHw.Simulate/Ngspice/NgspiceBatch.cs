using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using KirchhoffHw.Model;
using KirchhoffHw.Simulate.RawFile;

namespace KirchhoffHw.Simulate.Ngspice;

public sealed record NgspiceBatchOptions
{
    public static readonly NgspiceBatchOptions Default = new();

    /// <summary>The ngspice program: a name looked up on PATH, or a path.</summary>
    public string Executable { get; init; } = "ngspice";

    /// <summary>Where each run's temporary folder goes (default: the system temp folder).</summary>
    public string? WorkRoot { get; init; }

    /// <summary>Keep each run's folder (deck, raw file) for inspection instead of deleting it.</summary>
    public bool KeepFiles { get; init; }
}

/// <summary>
/// Runs <c>ngspice -b deck.cir -r out.raw</c> in a fresh temporary folder and reads the raw file. One process per
/// run, so nothing leaks between runs and runs may go in parallel.
/// </summary>
public sealed class NgspiceBatch(NgspiceBatchOptions? options = null) : ISpiceSimulator
{
    public const string MissingMessage = "ngspice not found on PATH: install it with `apt-get install ngspice` (or `make deps`)";

    private readonly NgspiceBatchOptions _options = options ?? NgspiceBatchOptions.Default;

    public string Name => "ngspice-batch";

    public SimulationResult Run(SimulationRequest request, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        var dir = Path.Combine(_options.WorkRoot ?? Path.GetTempPath(), $"kirchhoffhw-ngspice-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            return RunIn(dir, request, clock, cancel);
        }
        finally
        {
            if (!_options.KeepFiles) TryDelete(dir);
        }
    }

    private SimulationResult RunIn(string dir, SimulationRequest request, Stopwatch clock, CancellationToken cancel)
    {
        var deckPath = Path.Combine(dir, "deck.cir");
        var rawPath = Path.Combine(dir, "out.raw");
        File.WriteAllText(deckPath, DeckLines.Normalise(request.Deck));
        // ngspice reads .spiceinit from its working folder at start-up, before the circuit sets up its threads
        if (request.Threads is { } threads)
            File.WriteAllText(Path.Combine(dir, ".spiceinit"), $"set num_threads={Math.Max(1, threads).ToString(System.Globalization.CultureInfo.InvariantCulture)}\n");

        var start = new ProcessStartInfo(_options.Executable)
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-b", "deck.cir", "-r", "out.raw" }) start.ArgumentList.Add(arg);
        // Binary raw is ngspice's batch default; pinned anyway because SPICE_ASCIIRAWFILE=1 in the caller's
        // environment would switch to ASCII, which loses digits (the reader still handles both).
        start.Environment["SPICE_ASCIIRAWFILE"] = "0";

        var log = new StringBuilder();
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("process did not start");
        }
        catch (Win32Exception e)
        {
            var exe = _options.Executable;
            var message = exe.Contains('/') || exe.Contains('\\')
                ? $"ngspice not found at '{exe}': install it with `apt-get install ngspice` (or `make deps`)"
                : $"{exe} not found on PATH: install it with `apt-get install ngspice` (or `make deps`)";
            return SimulationResult.Failed(SimulationStatus.SimulatorMissing, message, e.Message, clock.Elapsed);
        }

        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            var timedOut = false;
            try
            {
                if (!process.WaitForExitAsync(cancel).Wait(request.Timeout)) timedOut = true;
            }
            catch (AggregateException e) when (e.InnerException is OperationCanceledException)
            {
                KillTree(process);
                throw new OperationCanceledException("simulation cancelled", e.InnerException, cancel);
            }
            if (timedOut) KillTree(process);
            process.WaitForExit();
            log.Append(stdout.Result);
            if (stderr.Result.Length > 0) log.Append("\n--- stderr ---\n").Append(stderr.Result);
            var text = log.ToString();

            if (timedOut)
                return SimulationResult.Failed(SimulationStatus.Timeout,
                    $"ngspice did not finish within {request.Timeout.TotalSeconds:0.###} s", text, clock.Elapsed);

            var (status, message) = NgspiceLog.Classify(text);
            if (status == SimulationStatus.Ok && process.ExitCode != 0)
                (status, message) = (SimulationStatus.DeckError, $"ngspice exited with code {process.ExitCode}");
            if (!File.Exists(rawPath) || new FileInfo(rawPath).Length == 0)
                return SimulationResult.Failed(status == SimulationStatus.Ok ? SimulationStatus.DeckError : status,
                    message ?? "ngspice wrote no raw file", text, clock.Elapsed);

            RawPlot plot;
            try
            {
                plot = RawFileReader.Read(rawPath)[^1];
            }
            catch (KirchhoffHwException e)
            {
                return SimulationResult.Failed(status == SimulationStatus.Ok ? SimulationStatus.SimulatorCrashed : status,
                    message ?? e.Message, text, clock.Elapsed);
            }
            return Collect(plot, request, status, message, text, clock.Elapsed);
        }
    }

    private static SimulationResult Collect(RawPlot plot, SimulationRequest request, SimulationStatus status,
        string? message, string log, TimeSpan elapsed)
    {
        var timeIndex = plot.IndexOf("time");
        var time = timeIndex >= 0 ? plot.Real[timeIndex] : [];
        var vectors = SimulationResult.EmptyVectors();
        var types = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var v in plot.Variables) types.TryAdd(v.Name, v.Type);
        var (found, missing) = SimulationRequest.Match(request.Vectors, types.Keys, n => types[n] == "voltage");
        foreach (var (key, name) in found) vectors[key] = plot.Real[plot.IndexOf(name)];
        if (status == SimulationStatus.Ok && timeIndex < 0)
            (status, message) = (SimulationStatus.DeckError, $"raw plot '{plot.Plotname}' has no time vector: is there a .tran?");
        if (status == SimulationStatus.Ok && missing.Count > 0)
            (status, message) = (SimulationStatus.DeckError, $"no such vector: {string.Join(", ", missing)}");
        return new SimulationResult(status, time, vectors, log, elapsed, message);
    }

    public void Dispose() { } // nothing held between runs

    private static void KillTree(Process process)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // already exited
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
