using System.Diagnostics;
using System.Runtime.ExceptionServices;
using KirchhoffHw.Model;

namespace KirchhoffHw.Reference;

/// <summary>What solves the reference: the stages take one, so a run can be counted or replaced.</summary>
public interface IReferenceSolver
{
    /// <summary>Integrates every input through every layer; <paramref name="sampleTimes"/> are extra states to record, in the order given.</summary>
    ReferenceResult Solve(Design design, IReadOnlyList<double[]> inputs, SolverOptions options,
        IReadOnlyList<double>? sampleTimes = null, IProgress<int>? casesDone = null, CancellationToken cancel = default);
}

/// <summary>
/// The golden software forward pass: integrates every case through every layer of a design. Cases are cut
/// into contiguous blocks that run in parallel, each on batches of <see cref="SolverOptions.ChunkSize"/> lanes;
/// every case keeps its own step size, so a case's answer depends neither on the thread count nor on which
/// other cases share its block or batch.
/// </summary>
public sealed class ReferenceSolver : IReferenceSolver
{
    /// <summary>The solver as an <see cref="IReferenceSolver"/>, for the stages that take one.</summary>
    public static IReferenceSolver Default { get; } = new ReferenceSolver();

    private ReferenceSolver() { }

    ReferenceResult IReferenceSolver.Solve(Design design, IReadOnlyList<double[]> inputs, SolverOptions options,
        IReadOnlyList<double>? sampleTimes, IProgress<int>? casesDone, CancellationToken cancel) =>
        Solve(design, inputs, options, sampleTimes, casesDone, cancel);

    public static ReferenceResult Solve(Design design, IReadOnlyList<double[]> inputs, SolverOptions options,
        IReadOnlyList<double>? sampleTimes = null, IProgress<int>? casesDone = null, CancellationToken cancel = default) =>
        Solve(design, inputs, options, null, sampleTimes, casesDone, cancel);

    /// <summary>
    /// The design with every device seeing the node voltages <paramref name="lag"/> model time units late, to first
    /// order in the lag (<see cref="Kcl.Lagged"/>): what cells that settle with that time constant compute. Null: each
    /// device model's own lag (<see cref="Model.Devices.DeviceModel.InputLag"/>, 0 for laws).
    /// </summary>
    public static ReferenceResult Solve(Design design, IReadOnlyList<double[]> inputs, SolverOptions options, double? lag,
        IReadOnlyList<double>? sampleTimes = null, IProgress<int>? casesDone = null, CancellationToken cancel = default)
    {
        if (lag is { } given) Kcl.CheckLag(given);
        ArgumentNullException.ThrowIfNull(design);
        ArgumentNullException.ThrowIfNull(inputs);
        options.Validate();
        var watch = Stopwatch.StartNew();
        double tFirst = design.Layers.Count == 0 ? 0 : design.Layers[0].TStart;
        var times = (sampleTimes ?? []).ToArray();
        foreach (var t in times)
            if (!(t >= tFirst && t <= design.TEnd))
                throw new ArgumentOutOfRangeException(nameof(sampleTimes), t, $"sample times must lie in [{tFirst}, {design.TEnd}]");
        var slot = Enumerable.Range(0, times.Length).OrderBy(i => times[i]).ToArray();
        var sorted = slot.Select(i => times[i]).ToArray();
        for (int i = 0; i < inputs.Count; i++)
            if (inputs[i] is null || inputs[i].Length > design.NodeCount)
                throw new ArgumentException($"input {i} has {inputs[i]?.Length.ToString() ?? "no"} values but {design.Name} has {design.NodeCount} nodes", nameof(inputs));

        var rhs = design.Layers.Select(l => new Kcl(l, design.NodeCount, design.NodeTrims)).Select(k => lag is { } given ? k.Lagged(given) : k).ToArray();
        var outputNodes = design.OutputNodes;
        var results = new CaseResult[inputs.Count];
        // Rk4 steps every lane together, so a block is one batch of lanes. Dopri5 refills a lane as soon as its
        // case leaves the layer, so a block holds many batches' worth of cases: a few blocks per core keep both
        // the lanes idling at a block's end and the load imbalance between cores small.
        int batches = (inputs.Count + options.ChunkSize - 1) / options.ChunkSize, finished = 0;
        int blocks = options.Method == SolverMethod.Rk4 ? batches : Math.Min(batches, options.Blocks ?? 4 * Environment.ProcessorCount);
        long batched = 0;
        try
        {
            Parallel.For(0, blocks, new ParallelOptions { CancellationToken = cancel }, bi =>
            {
                int first = (int)((long)inputs.Count * bi / blocks), count = (int)((long)inputs.Count * (bi + 1) / blocks) - first;
                var c = new Chunk(design.Name, first, count, Math.Min(options.ChunkSize, count), design.NodeCount, sorted, slot);
                c.Load(inputs, design.Input);
                var boundaries = new List<(double, double[])>[count];
                var layerStats = new List<SolverStats>[count];
                for (int i = 0; i < count; i++) (boundaries[i], layerStats[i]) = ([], []);
                for (int l = 0; l < rhs.Length; l++)
                {
                    var layer = design.Layers[l];
                    if (options.Method == SolverMethod.Rk4) Rk4.Integrate(c, rhs[l], layer.TStart, layer.TEnd, options, cancel);
                    else Dopri5.Integrate(c, rhs[l], layer.TStart, layer.TEnd, options, cancel);
                    for (int i = 0; i < count; i++)
                    {
                        boundaries[i].Add((layer.TEnd, (double[])c.State[i].Clone()));
                        layerStats[i].Add(new SolverStats(c.Accepted[i], c.Rejected[i], c.Rhs[i]) - layerStats[i].Aggregate(SolverStats.Zero, (a, b) => a + b));
                    }
                }
                for (int i = 0; i < count; i++)
                {
                    c.RecordSamplesUpTo(i, design.TEnd);
                    var output = outputNodes.Select(n => c.State[i][n - 1]).ToArray();
                    results[first + i] = new CaseResult(output, boundaries[i], c.Samples(i),
                        new SolverStats(c.Accepted[i], c.Rejected[i], c.Rhs[i])) { LayerStats = layerStats[i] };
                }
                Interlocked.Add(ref batched, c.BatchedRhs);
                casesDone?.Report(Interlocked.Add(ref finished, count));
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count >= 1 && e.InnerExceptions.All(x => x is KirchhoffHwException))
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        return new ReferenceResult(results, options, batched, watch.Elapsed);
    }
}

/// <summary>The reference with every device seeing the node voltages <see cref="Lag"/> model time units late (<see cref="Kcl.Lagged"/>), whatever lag the device models carry (0: none).</summary>
public sealed class LaggedSolver : IReferenceSolver
{
    public LaggedSolver(double lag)
    {
        Kcl.CheckLag(lag);
        Lag = lag;
    }

    public double Lag { get; }

    public ReferenceResult Solve(Design design, IReadOnlyList<double[]> inputs, SolverOptions options,
        IReadOnlyList<double>? sampleTimes = null, IProgress<int>? casesDone = null, CancellationToken cancel = default) =>
        ReferenceSolver.Solve(design, inputs, options, Lag, sampleTimes, casesDone, cancel);
}
