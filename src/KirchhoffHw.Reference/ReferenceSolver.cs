using System.Diagnostics;
using System.Runtime.ExceptionServices;
using KirchhoffHw.Model;

namespace KirchhoffHw.Reference;

/// <summary>
/// The golden software forward pass: integrates every case through every layer of a design. Cases are cut
/// into fixed chunks of <see cref="SolverOptions.ChunkSize"/> that run in parallel; every case keeps its own
/// step size, so a case's answer depends neither on the thread count nor on which other cases share its chunk.
/// </summary>
public static class ReferenceSolver
{
    public static ReferenceResult Solve(Design design, IReadOnlyList<double[]> inputs, SolverOptions options,
        IReadOnlyList<double>? sampleTimes = null, IProgress<int>? casesDone = null, CancellationToken cancel = default)
    {
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

        var rhs = design.Layers.Select(l => new Kcl(l, design.NodeCount)).ToArray();
        var outputNodes = design.OutputNodes;
        var results = new CaseResult[inputs.Count];
        int chunks = (inputs.Count + options.ChunkSize - 1) / options.ChunkSize, finished = 0;
        long batched = 0;
        try
        {
            Parallel.For(0, chunks, new ParallelOptions { CancellationToken = cancel }, ci =>
            {
                int first = ci * options.ChunkSize, lanes = Math.Min(options.ChunkSize, inputs.Count - first);
                var c = new Chunk(design.Name, first, lanes, design.NodeCount, sorted, slot);
                c.Load(inputs, design.Input);
                var boundaries = new List<(double, double[])>[lanes];
                for (int b = 0; b < lanes; b++) boundaries[b] = [];
                for (int l = 0; l < rhs.Length; l++)
                {
                    var layer = design.Layers[l];
                    if (options.Method == SolverMethod.Rk4) Rk4.Integrate(c, rhs[l], layer.TStart, layer.TEnd, options, cancel);
                    else Dopri5.Integrate(c, rhs[l], layer.TStart, layer.TEnd, options, cancel);
                    for (int b = 0; b < lanes; b++) boundaries[b].Add((layer.TEnd, c.LaneState(c.Y, b)));
                }
                for (int b = 0; b < lanes; b++)
                {
                    c.RecordSamplesUpTo(b, design.TEnd);
                    var output = outputNodes.Select(n => c.Y[n * c.Width + b]).ToArray();
                    results[first + b] = new CaseResult(output, boundaries[b], c.Samples(b),
                        new SolverStats(c.Accepted[b], c.Rejected[b], c.Rhs[b]));
                }
                Interlocked.Add(ref batched, c.BatchedRhs);
                casesDone?.Report(Interlocked.Add(ref finished, lanes));
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count >= 1 && e.InnerExceptions.All(x => x is KirchhoffHwException))
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        return new ReferenceResult(results, options, batched, watch.Elapsed);
    }
}
