namespace KirchhoffHw.Model.Validation;

/// <summary>
/// What a design's size costs in memory, estimated from the structures that hold it, so a design file or a
/// topology generator asking for a billion nodes or a trillion devices is refused with the number and the
/// limit before anything is allocated.
/// </summary>
public static class DesignSize
{
    /// <summary>
    /// Per node: the reference integrates a block of 16 lanes per core, each lane holding the state, its two
    /// candidates, a scratch vector and the seven Dormand-Prince stages (11 vectors of doubles).
    /// </summary>
    public static double BytesPerNode => 11 * 16 * 8.0 * Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// Per device: its two node ids, up to three parameters, the list growth of the generator that builds it
    /// and the solver's edge-major copy of its parameters.
    /// </summary>
    public const double BytesPerDevice = 80;

    /// <summary>Per value of an input vector or a node state kept for a case (plus its array's header, amortised).</summary>
    public const double BytesPerValue = 8;

    public static string? CheckNodes(long nodes) =>
        nodes > int.MaxValue - 1 ? $"{nodes} nodes are more than node ids can number ({int.MaxValue - 1})"
        : MemoryLimit.Check(MemoryLimit.Times(nodes, BytesPerNode), $"a design of {nodes:N0} nodes");

    /// <summary>A device count, in floating point so that any product of generator arguments compares without wrapping.</summary>
    public static string? CheckDevices(double devices, string what) =>
        devices > Array.MaxLength ? $"{what} makes {devices:G4} devices, more than one layer can hold ({Array.MaxLength:N0})"
        : MemoryLimit.Check(MemoryLimit.Of(devices * BytesPerDevice), $"{what} ({devices:N0} devices)");

    /// <summary>
    /// Memory for <paramref name="cases"/> cases of a design: each keeps its input, a state per layer boundary
    /// and per sample time, and its read-out, each array with its header.
    /// </summary>
    public static long CaseBytes(Design design, long cases, int samples = 0)
    {
        int states = design.Layers.Count + samples;
        double perCase = BytesPerValue * (design.Input.Width + (double)design.NodeCount * (states + 1) + (design.Readout.Kind == ReadoutKind.All ? design.NodeCount : design.Readout.Count)) + 64 * (states + 4);
        return MemoryLimit.Times(cases, perCase);
    }
}
