using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace KirchhoffHw.Simulate.Ngspice.Worker;

/// <summary>
/// Drives libngspice inside the current process. ngspice keeps global state (one circuit list, one plot list,
/// one background thread), so there is at most one engine per process: the worker process owns it.
/// </summary>
internal sealed unsafe class NgspiceEngine
{
    private static readonly object Gate = new();
    private static readonly StringBuilder Output = new();
    private static volatile bool _exitRequested;
    private static int _exitStatus;
    private static volatile bool _threadStarted, _threadEnded;
    private static NgspiceEngine? _instance;

    private readonly NgspiceNative _native;

    /// <summary>True once ngspice asked to exit (ControlledExit): its state is undefined, the process must end.</summary>
    public bool IsDead => _exitRequested;

    private NgspiceEngine(NgspiceNative native) => _native = native;

    public static NgspiceEngine Start(NgspiceNative native)
    {
        if (_instance is not null) throw new InvalidOperationException("libngspice keeps global state: one engine per process");
        var engine = new NgspiceEngine(native);
        var rc = native.Init(
            (nint)(delegate* unmanaged[Cdecl]<byte*, int, nint, int>)&OnSendChar,
            (nint)(delegate* unmanaged[Cdecl]<byte*, int, nint, int>)&OnSendStat,
            (nint)(delegate* unmanaged[Cdecl]<int, byte, byte, int, nint, int>)&OnControlledExit,
            0, 0, // SendData/SendInitData: vectors are read once at the end, not streamed per time point
            (nint)(delegate* unmanaged[Cdecl]<byte, int, nint, int>)&OnBackgroundThread,
            0);
        if (rc != 0) throw new InvalidOperationException($"ngSpice_Init returned {rc}");
        TakeOutput(); // the banner and spinit notes belong to no run
        _instance = engine;
        return engine;
    }

    public WorkerResponse Run(WorkerRequest request)
    {
        var clock = Stopwatch.StartNew();
        TakeOutput();
        var status = SimulationStatus.Ok;
        string? message = null;

        // read when the circuit sets up, so it holds for this run; a worker's runs may differ
        if (request.Threads > 0) Command($"set num_threads={request.Threads.ToString(CultureInfo.InvariantCulture)}");
        var loaded = LoadCircuit(request.Deck);
        var log = new StringBuilder(TakeOutput());
        // Loading is a cost of its own on big decks (hundreds of thousands of lines): say what it was.
        log.Append(CultureInfo.InvariantCulture, $"[kirchhoffhw] ngSpice_Circ: {clock.Elapsed.TotalSeconds:0.###} s\n");
        var (loadStatus, loadMessage) = NgspiceLog.Classify(log.ToString());
        if (loaded != 0 || loadStatus != SimulationStatus.Ok || _exitRequested)
        {
            status = _exitRequested ? SimulationStatus.SimulatorCrashed : SimulationStatus.DeckError;
            message = _exitRequested ? ExitMessage() : loadMessage ?? $"ngSpice_Circ returned {loaded}";
            if (!_exitRequested) Cleanup();
            log.Append(TakeOutput());
            return Failed(status, message, log, clock);
        }

        _threadStarted = _threadEnded = false;
        Command("bg_run");
        var launched = clock.Elapsed;
        var deadline = request.Timeout; // counted from before ngSpice_Circ: the timeout covers loading too
        var timedOut = false;
        // Measured: ngSpice_running() can still be false just after "bg_run" returns (the thread has not started
        // yet), so completion is the BGThreadRunning callback's end signal, not the running flag.
        for (var wait = 0; !_threadEnded && !_exitRequested; wait++)
        {
            if (!_threadStarted && clock.Elapsed - launched > TimeSpan.FromSeconds(5))
                break; // the thread never started (bg_run refused): nothing will end it
            if (clock.Elapsed > deadline)
            {
                timedOut = true;
                Command("bg_halt");
                var haltDeadline = clock.Elapsed + TimeSpan.FromSeconds(10);
                while (!_threadEnded && clock.Elapsed < haltDeadline) Thread.Sleep(5);
                break;
            }
            // Short sleeps first: small decks finish in about a millisecond.
            Thread.Sleep(wait < 20 ? 0 : wait < 200 ? 1 : 5);
        }
        log.Append(TakeOutput());

        if (_exitRequested)
            return Failed(SimulationStatus.SimulatorCrashed, ExitMessage(), log, clock);
        if (_threadStarted && !_threadEnded)
        {
            // Seen on a 100k-source deck: bg_halt answers "Couldn't stop ngspice" while a factorization runs, and
            // reading plots under the running thread crashed the worker. Touch nothing; this worker is retired.
            var stillRunning = new WorkerResponse(SimulationStatus.Timeout, [], SimulationResult.EmptyVectors(), log.ToString(),
                clock.Elapsed, $"ngspice did not finish within {request.Timeout.TotalSeconds:0.###} s and did not halt",
                Environment.WorkingSet, Dead: true);
            return stillRunning;
        }

        (status, message) = timedOut
            ? (SimulationStatus.Timeout, $"ngspice did not finish within {request.Timeout.TotalSeconds:0.###} s")
            : NgspiceLog.Classify(log.ToString());

        var (time, vectors, missing) = ReadVectors(request.Vectors);
        if (status == SimulationStatus.Ok && time.Length == 0)
            (status, message) = (SimulationStatus.DeckError, "no time vector after the run: is there a .tran?");
        if (status == SimulationStatus.Ok && missing.Count > 0)
            (status, message) = (SimulationStatus.DeckError, $"no such vector: {string.Join(", ", missing)}");

        var stuck = _native.Running() != 0;
        if (!stuck) Cleanup();
        log.Append(TakeOutput());
        return new WorkerResponse(status, time, vectors, log.ToString(), clock.Elapsed, message,
            Environment.WorkingSet, Dead: _exitRequested || stuck);
    }

    private int LoadCircuit(string deck)
    {
        // One buffer for the whole deck, '\n' turned into '\0', and one pointer array into it: linear in the deck
        // size however many lines (460k-line decks). ngSpice_Circ copies every line, so both are freed at once.
        var text = DeckLines.Normalise(deck);
        var byteCount = Encoding.UTF8.GetByteCount(text);
        var buffer = (byte*)NativeMemory.Alloc((nuint)byteCount + 1);
        byte** lines = null;
        try
        {
            var span = new Span<byte>(buffer, byteCount + 1);
            Encoding.UTF8.GetBytes(text, span);
            span[byteCount] = 0;
            var count = span[..byteCount].Count((byte)'\n');
            lines = (byte**)NativeMemory.Alloc((nuint)(count + 1), (nuint)sizeof(byte*));
            var n = 0;
            var start = 0;
            for (var i = 0; i < byteCount; i++)
            {
                if (buffer[i] != (byte)'\n') continue;
                buffer[i] = 0;
                lines[n++] = buffer + start;
                start = i + 1;
            }
            lines[n] = null;
            return _native.Circ(lines);
        }
        finally
        {
            NativeMemory.Free(lines);
            NativeMemory.Free(buffer);
        }
    }

    private (double[] Time, Dictionary<string, double[]> Vectors, List<string> Missing) ReadVectors(IReadOnlyList<string> requested)
    {
        var vectors = SimulationResult.EmptyVectors();
        var missing = new List<string>();
        var plot = _native.CurPlot();
        if (plot is null) return ([], vectors, [.. requested]);
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var all = _native.AllVecs(plot);
        for (var i = 0; all is not null && all[i] is not null; i++) names.Add(Marshal.PtrToStringUTF8((nint)all[i])!);
        var plotName = Marshal.PtrToStringUTF8((nint)plot)!;

        var time = names.Contains("time") ? Copy(plotName, "time") : [];
        // ngGet_Vec_Info on an unknown name prints "no such vector": names are matched against the plot's list first.
        // libngspice lists node voltages by bare net name; branch currents end in #branch.
        var (found, absent) = SimulationRequest.Match(requested, names,
            n => !n.Contains('#') && !n.Equals("time", StringComparison.OrdinalIgnoreCase));
        foreach (var (key, name) in found) vectors[key] = Copy(plotName, name);
        missing.AddRange(absent);
        return (time, vectors, missing);
    }

    private double[] Copy(string plot, string vector)
    {
        var bytes = Encoding.UTF8.GetBytes($"{plot}.{vector}\0");
        fixed (byte* p = bytes)
        {
            var info = _native.GetVecInfo(p);
            if (info is null || info->Length <= 0) return [];
            var result = new double[info->Length];
            if (info->RealData is not null) new ReadOnlySpan<double>(info->RealData, info->Length).CopyTo(result);
            else if (info->ComplexData is not null)
                for (var k = 0; k < result.Length; k++) result[k] = info->ComplexData[2 * k];
            return result;
        }
    }

    /// <summary>
    /// Drops the circuit and its plots. Without this ngspice keeps every circuit and every plot of the process's
    /// life (PySpice issue #373).
    /// </summary>
    private void Cleanup()
    {
        Command("remcirc");
        Command("destroy all");
    }

    private int Command(string command)
    {
        var bytes = Encoding.UTF8.GetBytes(command + "\0");
        fixed (byte* p = bytes) return _native.Command(p);
    }

    private static WorkerResponse Failed(SimulationStatus status, string message, StringBuilder log, Stopwatch clock) =>
        new(status, [], SimulationResult.EmptyVectors(), log.ToString(), clock.Elapsed, message, Environment.WorkingSet,
            Dead: _exitRequested);

    private static string ExitMessage() => $"ngspice requested exit (status {_exitStatus}); its state is lost";

    private static string TakeOutput()
    {
        lock (Gate)
        {
            var text = Output.ToString();
            Output.Clear();
            return text;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnSendChar(byte* text, int id, nint user)
    {
        var line = Marshal.PtrToStringUTF8((nint)text) ?? "";
        lock (Gate) Output.Append(line).Append('\n');
        return 0;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnSendStat(byte* text, int id, nint user) => 0; // progress percentages: noise in a log

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnControlledExit(int status, byte immediate, byte quit, int id, nint user)
    {
        _exitStatus = status;
        _exitRequested = true;
        lock (Gate) Output.Append($"ngspice requested exit: status {status}, immediate {immediate != 0}, quit {quit != 0}\n");
        return 0;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnBackgroundThread(byte exited, int id, nint user)
    {
        // Despite the header's wording, ngspice 39 passes false when the thread starts and true when it ends.
        if (exited != 0) _threadEnded = true;
        else _threadStarted = true;
        return 0;
    }
}
