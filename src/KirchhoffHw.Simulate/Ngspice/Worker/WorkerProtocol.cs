namespace KirchhoffHw.Simulate.Ngspice.Worker;

/// <param name="Threads">ngspice's num_threads for this run; 0 = its default.</param>
internal sealed record WorkerRequest(string Deck, IReadOnlyList<string> Vectors, TimeSpan Timeout, int Threads = 0);

/// <param name="Dead">the worker cannot serve another run (ngspice asked to exit, or would not halt)</param>
internal sealed record WorkerResponse(
    SimulationStatus Status,
    double[] Time,
    IReadOnlyDictionary<string, double[]> Vectors,
    string Log,
    TimeSpan Elapsed,
    string? Message,
    long RssBytes,
    bool Dead);

/// <summary>
/// Length-prefixed binary messages over the worker's pipes. The first message from the worker is a hello:
/// whether the library loaded, and the message if not.
/// </summary>
internal static class WorkerProtocol
{
    private const int Magic = 0x4B48_4E47; // "KHNG": a stray printf on the protocol pipe shows up as a bad magic

    public static void WriteHello(BinaryWriter w, string? missingMessage, string log)
    {
        w.Write(Magic);
        w.Write(missingMessage is null);
        w.Write(missingMessage ?? "");
        w.Write(log);
        w.Flush();
    }

    public static (string? MissingMessage, string Log) ReadHello(BinaryReader r)
    {
        CheckMagic(r);
        var ok = r.ReadBoolean();
        var message = r.ReadString();
        var log = r.ReadString();
        return (ok ? null : message, log);
    }

    public static void WriteRequest(BinaryWriter w, WorkerRequest request)
    {
        w.Write(Magic);
        w.Write(request.Deck);
        w.Write(request.Vectors.Count);
        foreach (var v in request.Vectors) w.Write(v);
        w.Write(request.Timeout.Ticks);
        w.Write(request.Threads);
        w.Flush();
    }

    /// <summary>Null at end of stream (the parent closed the pipe: time to exit).</summary>
    public static WorkerRequest? ReadRequest(BinaryReader r)
    {
        try { CheckMagic(r); }
        catch (EndOfStreamException) { return null; }
        var deck = r.ReadString();
        var vectors = new string[r.ReadInt32()];
        for (var i = 0; i < vectors.Length; i++) vectors[i] = r.ReadString();
        var timeout = TimeSpan.FromTicks(r.ReadInt64());
        return new WorkerRequest(deck, vectors, timeout, r.ReadInt32());
    }

    public static void WriteResponse(BinaryWriter w, WorkerResponse response)
    {
        w.Write(Magic);
        w.Write((int)response.Status);
        WriteDoubles(w, response.Time);
        w.Write(response.Vectors.Count);
        foreach (var (name, values) in response.Vectors)
        {
            w.Write(name);
            WriteDoubles(w, values);
        }
        w.Write(response.Log);
        w.Write(response.Elapsed.Ticks);
        w.Write(response.Message is not null);
        w.Write(response.Message ?? "");
        w.Write(response.RssBytes);
        w.Write(response.Dead);
        w.Flush();
    }

    public static WorkerResponse ReadResponse(BinaryReader r)
    {
        CheckMagic(r);
        var status = (SimulationStatus)r.ReadInt32();
        var time = ReadDoubles(r);
        var vectors = SimulationResult.EmptyVectors();
        var count = r.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            var name = r.ReadString();
            vectors[name] = ReadDoubles(r);
        }
        var log = r.ReadString();
        var elapsed = TimeSpan.FromTicks(r.ReadInt64());
        var hasMessage = r.ReadBoolean();
        var message = r.ReadString();
        return new WorkerResponse(status, time, vectors, log, elapsed, hasMessage ? message : null, r.ReadInt64(), r.ReadBoolean());
    }

    private static void WriteDoubles(BinaryWriter w, double[] values)
    {
        w.Write(values.Length);
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static double[] ReadDoubles(BinaryReader r)
    {
        var values = new double[r.ReadInt32()];
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan());
        var read = 0;
        while (read < bytes.Length)
        {
            var n = r.Read(bytes[read..]);
            if (n == 0) throw new EndOfStreamException();
            read += n;
        }
        return values;
    }

    private static void CheckMagic(BinaryReader r)
    {
        var magic = r.ReadInt32();
        if (magic != Magic) throw new InvalidDataException($"worker protocol out of step (read 0x{magic:X8})");
    }
}
