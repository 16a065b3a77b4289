using KirchhoffHw.Model;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Report;

/// <summary>
/// The reference trajectories of the report's cases on a fine grid, and what they demand of the devices: the
/// largest |current| any device carries, in model units, which sets every cell's bias current; and the largest
/// |node voltage| they reach, in model units.
/// </summary>
/// <param name="DevicePeaks">Per layer, per device: the largest |current| it carries on the grid (model units).</param>
public sealed record OperatingPoint(IReadOnlyList<double> Times, IReadOnlyList<double[][]> States, SolverOptions Options, IReadOnlyList<double[]> DevicePeaks)
{
    /// <summary>Largest |current| any device carries on the grid over every case, in model units: what sets every cell's bias.</summary>
    public double PeakModelCurrent { get; } = DevicePeaks.SelectMany(d => d).DefaultIfEmpty(0).Max();

    /// <summary>Largest |node voltage| on the grid over every case, in model units.</summary>
    public double PeakModelVoltage => States.SelectMany(c => c).SelectMany(s => s).Select(Math.Abs).DefaultIfEmpty(0).Max();

    public const int PointsPerLayer = 32;

    /// <summary>Each layer's start, end and <see cref="PointsPerLayer"/> evenly spaced points in between.</summary>
    public static IReadOnlyList<double> Grid(Design design) =>
        design.Layers.SelectMany(l => Enumerable.Range(0, PointsPerLayer + 2).Select(i => l.TStart + l.Duration * i / (PointsPerLayer + 1)))
            .Distinct().Order().ToList();

    /// <summary>The grid read from a reference run that recorded it (<see cref="Grid"/>); every case must have a trajectory.</summary>
    public static OperatingPoint Of(ReferenceRun reference)
    {
        var design = reference.Design;
        var times = Grid(design);
        for (int i = 0; i < reference.Inputs.Count; i++)
            if (reference.Cases[i] is null) throw new KirchhoffHwException(new SourceLocation(design.Name), $"case {i}: {reference.Failures[i]}");
        var states = Enumerable.Range(0, reference.Inputs.Count).Select(i => times.Select(t => reference.StateAt(i, t)).ToArray()).ToList();
        var v = new double[design.NodeCount + 1];
        var peaks = new List<double[]>();
        foreach (var layer in design.Layers)
        {
            int edges = layer.Edges.Count;
            var devicePeak = new double[edges];
            peaks.Add(devicePeak);
            var p = new double[layer.Model.ParameterCount];
            for (int ti = 0; ti < times.Count; ti++)
            {
                // A boundary instant belongs to both layers that meet there.
                if (times[ti] < layer.TStart || times[ti] > layer.TEnd) continue;
                foreach (var caseStates in states)
                {
                    caseStates[ti].CopyTo(v, 1);
                    for (int e = 0; e < edges; e++)
                    {
                        for (int j = 0; j < p.Length; j++) p[j] = layer.Theta[j * edges + e];
                        devicePeak[e] = Math.Max(devicePeak[e], Math.Abs(layer.Model.Current(v[layer.Edges.Source[e]], v[layer.Edges.Destination[e]], p)));
                    }
                }
            }
        }
        return new OperatingPoint(times, states, reference.Options, peaks);
    }
}
