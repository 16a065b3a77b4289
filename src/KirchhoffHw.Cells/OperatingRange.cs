using KirchhoffHw.Model;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Cells;

/// <summary>Largest |voltage| (model units) of each node 0..N during each layer's time slice (ground is 0).</summary>
public sealed record NodeRanges(double[][] ByLayer)
{
    public IReadOnlyList<double> For(int layer) => ByLayer[layer];
    public double Max => ByLayer.Length == 0 ? 0 : ByLayer.Max(r => r.Max());
}

/// <summary>
/// The dynamic-range analysis the fits need: how far each node swings while each layer's bank is connected,
/// from the reference. Per layer, because a layer's cells only ever see its own slice (mnist's nodes stay below
/// ~50 in layer 0 and reach ~15,000 in layer 1: one range for both would give layer 0's cells no resolution).
/// </summary>
public static class OperatingRange
{
    /// <summary>Points read inside each layer besides its ends: enough to catch a node that peaks mid-slice.</summary>
    public const int PointsPerLayer = 8;

    /// <summary>The times a reference run must record for <see cref="Of(ReferenceRun)"/>: <see cref="PointsPerLayer"/> evenly inside each layer.</summary>
    public static IReadOnlyList<double> SampleTimes(Design design) =>
        design.Layers.SelectMany(l => Enumerable.Range(1, PointsPerLayer).Select(i => l.TStart + l.Duration * i / (PointsPerLayer + 1.0))).ToList();

    /// <summary>From the reference on its inputs, solved here at the golden tolerance; with no inputs, 1 everywhere.</summary>
    public static NodeRanges Of(Design design, IReadOnlyList<double[]> inputs) =>
        Of(ReferenceRun.Solve(design, inputs, SolverOptions.Golden, SampleTimes(design)));

    /// <summary>
    /// From a reference run on every input it holds: the inputs themselves, each layer's ends and the
    /// <see cref="SampleTimes"/> inside it (the run must record them); with no inputs, 1 everywhere.
    /// </summary>
    public static NodeRanges Of(ReferenceRun reference)
    {
        var design = reference.Design;
        if (reference.Inputs.Count == 0) return Uniform(design, 1.0);
        int layers = design.Layers.Count;
        var times = SampleTimes(design);
        var ranges = Enumerable.Range(0, layers).Select(_ => new double[design.NodeCount + 1]).ToArray();
        void Take(int li, double[] s) { for (int k = 0; k < s.Length; k++) ranges[li][k + 1] = Math.Max(ranges[li][k + 1], Math.Abs(s[k])); }
        int LayerOf(double t) { for (int li = 0; li < layers; li++) if (t <= design.Layers[li].TEnd) return li; return layers - 1; }
        var state = new double[design.NodeCount];
        foreach (var x in reference.Inputs) { Array.Clear(state); design.Input.Apply(x, state); Take(0, state); }
        for (int i = 0; i < reference.Inputs.Count; i++)
        {
            if (reference.Cases[i] is not { } c) continue;
            for (int li = 0; li < c.Boundaries.Count; li++)
            {
                Take(li, c.Boundaries[li].State);                       // end of layer li
                if (li + 1 < layers) Take(li + 1, c.Boundaries[li].State); // start of the next
            }
            foreach (var t in times) Take(LayerOf(t), reference.StateAt(i, t));
        }
        // a node that never moved still needs a nonzero range for its devices' gains
        foreach (var r in ranges) for (int k = 1; k < r.Length; k++) r[k] = Math.Max(r[k], 1e-3);
        return new NodeRanges(ranges);
    }

    public static NodeRanges Uniform(Design design, double volts) => new(design.Layers.Select(_ =>
    {
        var r = Enumerable.Repeat(volts, design.NodeCount + 1).ToArray();
        r[0] = 0;
        return r;
    }).ToArray());
}
