using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using KirchhoffHw.Simulate.Ngspice.Worker;

namespace KirchhoffHw.Simulate.Ngspice;

public sealed record NgspiceSharedOptions
{
    public static readonly NgspiceSharedOptions Default = new();

    /// <summary>Library names tried in order by the dynamic loader.</summary>
    public IReadOnlyList<string> LibraryNames { get; init; } = ["libngspice.so.0", "libngspice.so"];

    /// <summary>A worker serves this many runs, then a fresh one takes over.</summary>
    public int RecycleAfterRuns { get; init; } = 1000;

    /// <summary>A worker whose resident memory exceeds this after a run is replaced.</summary>
    public long MaxWorkerRssBytes { get; init; } = 2L << 30;

    /// <summary>How long past the request's timeout the worker may take to halt and answer before it is killed.</summary>
    public TimeSpan HaltGrace { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Runs decks through libngspice (the shared library) inside a worker process: this assembly re-launched with
/// <see cref="WorkerProgram.Verb"/>, talking over its stdin/stdout pipes. Why a worker and not in-process: ngspice
/// keeps global state (one library instance per process), can call exit()/abort() or crash on bad input, and
/// grows a little per run even after remcirc + destroy all; a worker that dies ends only that run
/// (SimulatorCrashed) and is recycled every <see cref="NgspiceSharedOptions.RecycleAfterRuns"/> runs or above
/// <see cref="NgspiceSharedOptions.MaxWorkerRssBytes"/>. One instance serves one run at a time; use several
/// instances (several workers) to run in parallel.
/// </summary>
public sealed class NgspiceShared(NgspiceSharedOptions? options = null) : ISpiceSimulator
{
    public const string MissingMessage =
        "ngspice shared library not found: install it with `apt-get install libngspice0` (or `make deps`)";

    private const int StderrLimit = 1 << 20;

    private readonly NgspiceSharedOptions _options = options ?? NgspiceSharedOptions.Default;
    private readonly Lock _gate = new();
    private readonly StringBuilder _stderr = new();
    private Process? _worker;
    private BinaryWriter? _toWorker;
    private BinaryReader? _fromWorker;
    private int _runsOnWorker;
    private bool _disposed;

    public string Name => "ngspice-shared";

    /// <summary>Process id of the live worker, if any (where libngspice lives).</summary>
    public int? WorkerProcessId => _worker?.Id;

    /// <summary>The worker's resident set size reported after the last run.</summary>
    public long LastWorkerRssBytes { get; private set; }

    /// <summary>How many workers this instance has started (recycling and crashes start new ones).</summary>
    public int WorkersStarted { get; private set; }

    /// <summary>Raised once a run's deck has been handed to the worker: from then on the run is in the worker's hands.</summary>
    public event Action? RunStarted;

    public SimulationResult Run(SimulationRequest request, CancellationToken cancel = default)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            cancel.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            if (EnsureWorker(out var startLog) is { } missing)
                return SimulationResult.Failed(SimulationStatus.SimulatorMissing, missing, startLog, clock.Elapsed);

            WorkerResponse response;
            try
            {
                WorkerProtocol.WriteRequest(_toWorker!, new WorkerRequest(request.Deck, request.Vectors, request.Timeout, request.Threads ?? 0));
                RunStarted?.Invoke();
                var reader = _fromWorker!;
                var read = Task.Run(() => WorkerProtocol.ReadResponse(reader), CancellationToken.None);
                bool answered;
                // WaitAny, not Wait: a faulted read (the worker died) must surface below as its own exception.
                var limitMs = (int)Math.Min(int.MaxValue, request.Timeout.TotalMilliseconds + _options.HaltGrace.TotalMilliseconds);
                try { answered = Task.WaitAny(new Task[] { read }, limitMs, cancel) == 0; }
                catch (OperationCanceledException)
                {
                    StopWorker(kill: true);
                    throw;
                }
                if (!answered)
                {
                    StopWorker(kill: true);
                    return SimulationResult.Failed(SimulationStatus.Timeout,
                        $"ngspice did not finish within {request.Timeout.TotalSeconds:0.###} s and did not halt; its worker was killed",
                        TakeStderr(), clock.Elapsed);
                }
                response = read.GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is IOException or EndOfStreamException or InvalidDataException or ObjectDisposedException)
            {
                return Crashed(e, clock);
            }

            _runsOnWorker++;
            LastWorkerRssBytes = response.RssBytes;
            if (response.Dead || _runsOnWorker >= _options.RecycleAfterRuns || response.RssBytes > _options.MaxWorkerRssBytes)
                StopWorker(kill: response.Dead);

            var log = response.Log;
            var stderr = TakeStderr();
            if (stderr.Length > 0) log += "\n--- worker stderr ---\n" + stderr;
            return new SimulationResult(response.Status, response.Time, response.Vectors, log, clock.Elapsed, response.Message);
        }
    }

    private SimulationResult Crashed(Exception e, Stopwatch clock)
    {
        var exit = "";
        if (_worker is { } w && w.WaitForExit(TimeSpan.FromSeconds(5)))
            exit = w.ExitCode > 128 ? $" (killed by signal {w.ExitCode - 128})" : $" (exit code {w.ExitCode})";
        StopWorker(kill: true);
        return SimulationResult.Failed(SimulationStatus.SimulatorCrashed,
            $"the ngspice worker died during the run{exit}", $"{TakeStderr()}\n{e.GetType().Name}: {e.Message}", clock.Elapsed);
    }

    /// <summary>Starts a worker if none is live; returns the missing-library message when it cannot load ngspice.</summary>
    private string? EnsureWorker(out string log)
    {
        log = "";
        if (_worker is { HasExited: false }) return null;
        StopWorker(kill: true);

        var (host, prefix) = WorkerCommand();
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in prefix) start.ArgumentList.Add(arg);
        start.ArgumentList.Add(WorkerProgram.Verb);
        foreach (var name in _options.LibraryNames) start.ArgumentList.Add(name);

        Process worker;
        try { worker = Process.Start(start) ?? throw new Win32Exception("worker did not start"); }
        catch (Win32Exception e) { throw new InvalidOperationException($"cannot start the ngspice worker '{host}': {e.Message}", e); }
        worker.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr)
            {
                if (_stderr.Length < StderrLimit) _stderr.Append(e.Data).Append('\n');
            }
        };
        worker.BeginErrorReadLine();
        _worker = worker;
        _toWorker = new BinaryWriter(worker.StandardInput.BaseStream);
        _fromWorker = new BinaryReader(worker.StandardOutput.BaseStream);
        _runsOnWorker = 0;
        WorkersStarted++;

        try
        {
            var (missing, helloLog) = WorkerProtocol.ReadHello(_fromWorker);
            log = helloLog;
            if (missing is null) return null;
            StopWorker(kill: false);
            return missing;
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or InvalidDataException)
        {
            StopWorker(kill: true);
            throw new InvalidOperationException($"the ngspice worker failed to start: {TakeStderr()}", e);
        }
    }

    /// <summary>
    /// How to re-launch this assembly: "dotnet exec --runtimeconfig X KirchhoffHw.Simulate.dll". The runtime
    /// config is the one built next to the assembly when it was copied there, else one written for the running
    /// runtime (referencing projects do not always copy it).
    /// </summary>
    private static (string Host, string[] Prefix) WorkerCommand()
    {
        var assembly = typeof(WorkerProgram).Assembly.Location;
        var config = Path.ChangeExtension(assembly, ".runtimeconfig.json");
        if (!File.Exists(config)) config = GeneratedRuntimeConfig.Value;
        return (DotnetHost(), ["exec", "--runtimeconfig", config, assembly]);
    }

    private static readonly Lazy<string> GeneratedRuntimeConfig = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), $"kirchhoffhw-ngspice-worker-{Environment.Version}.runtimeconfig.json");
        var v = Environment.Version;
        var json = "{\"runtimeOptions\":{\"tfm\":\"net" + $"{v.Major}.{v.Minor}" +
                   "\",\"framework\":{\"name\":\"Microsoft.NETCore.App\",\"version\":\"" + v + "\"}}}";
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, json);
        File.Move(temp, path, overwrite: true);
        return path;
    });

    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } fromSdk && File.Exists(fromSdk)) return fromSdk;
        var exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } self && Path.GetFileName(self) == exe) return self;
        // <root>/shared/Microsoft.NETCore.App/<version>/ -> <root>/dotnet
        var runtimeDir = RuntimeEnvironment.GetRuntimeDirectory();
        var root = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
        var candidate = Path.Combine(root, exe);
        return File.Exists(candidate) ? candidate : exe;
    }

    private void StopWorker(bool kill)
    {
        var worker = _worker;
        _worker = null;
        if (worker is null) return;
        try
        {
            if (!kill)
            {
                _toWorker?.Dispose(); // end of stdin: the worker leaves its loop and exits
                if (!worker.WaitForExit(TimeSpan.FromSeconds(5))) kill = true;
            }
            if (kill && !worker.HasExited) worker.Kill(entireProcessTree: true);
            worker.WaitForExit(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or Win32Exception) { }
        finally
        {
            try { _toWorker?.Dispose(); } catch (IOException) { }
            _fromWorker?.Dispose();
            _toWorker = null;
            _fromWorker = null;
            worker.Dispose();
        }
    }

    private string TakeStderr()
    {
        lock (_stderr)
        {
            var text = _stderr.ToString();
            _stderr.Clear();
            return text;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            StopWorker(kill: false);
        }
    }
}
