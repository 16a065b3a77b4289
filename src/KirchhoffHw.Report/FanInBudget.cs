using KirchhoffHw.Model;

namespace KirchhoffHw.Report;

/// <summary>
/// How accurate each cell must be for the chip to compute its network, from where the most device current meets one
/// node: a node's capacitor integrates the errors of every device on it over its layer, so the worst node sets the
/// budget. First order: an error made in one layer is not followed through the layers after it, which may damp or
/// amplify it; `kirchhoffhw tolerance` measures what the network actually tolerates.
/// </summary>
/// <param name="Layer">The layer of the worst node.</param>
/// <param name="Node">The worst node: the largest sum of its devices' peak currents times its layer's duration.</param>
/// <param name="FanIn">Devices with a terminal on that node in that layer.</param>
/// <param name="PeakCurrentSum">Sum of those devices' largest |current| on the report's cases (model units).</param>
/// <param name="Duration">That layer's time slice (model units).</param>
/// <param name="OutputTolerance">The output error allowed (model units): the verification's, or the task's default.</param>
/// <param name="Random">Largest per-device current error, as a fraction of each device's peak, that keeps every node within the
/// tolerance when the devices err independently (mismatch: the errors add as a root sum of squares).</param>
/// <param name="MaxFanIn">Most devices on any node of any layer.</param>
/// <param name="SteepestInputKnee">For devices of the form amp * act(a vs + b vd + c), act not linear: the smallest 1 / max(|a|, |b|) over every device,
/// the input swing (model units) over which the steepest device turns; null when no layer has that form.</param>
public sealed record FanInBudget(int Layer, int Node, int FanIn, double PeakCurrentSum, double Duration, double OutputTolerance, double Random,
    int MaxFanIn, double? SteepestInputKnee)
{
    /// <summary>Largest current error, as a fraction of each device's peak, that keeps the worst node within the tolerance when every device errs alike.</summary>
    public double Systematic => OutputTolerance / (Duration * PeakCurrentSum);

    /// <summary>The budget of <paramref name="design"/> on the report's operating point; null for a design without devices or current.</summary>
    public static FanInBudget? Of(Design design, OperatingPoint op, double outputTolerance)
    {
        (int Layer, int Node, int FanIn, double Sum, double Duration)? worst = null;
        double worstCharge = 0, random = double.PositiveInfinity, steepest = 0;
        int maxFanIn = 0;
        for (int l = 0; l < design.Layers.Count; l++)
        {
            var layer = design.Layers[l];
            var peaks = op.DevicePeaks[l];
            var sum = new double[design.NodeCount + 1];
            var squares = new double[design.NodeCount + 1];
            var fanIn = new int[design.NodeCount + 1];
            var p = new double[layer.Model.ParameterCount];
            void Add(int node, double peak)
            {
                sum[node] += peak;
                squares[node] += peak * peak;
                fanIn[node]++;
            }
            for (int e = 0; e < layer.Edges.Count; e++)
            {
                Add(layer.Edges.Source[e], peaks[e]);
                Add(layer.Edges.Destination[e], peaks[e]);
                // A linear law has no knee: only a saturating or rectifying input must be resolved by the cell.
                if (!layer.Model.HasAffineForm || layer.Model.Family == Model.Devices.DeviceFamily.Linear) continue;
                for (int j = 0; j < p.Length; j++) p[j] = layer.Theta[j * layer.Edges.Count + e];
                var f = layer.Model.Affine(p);
                if (f.Amplitude != 0) steepest = Math.Max(steepest, Math.Max(Math.Abs(f.A), Math.Abs(f.B)));
            }
            // Node 0 is ground: it has no capacitor to integrate anything.
            for (int n = 1; n <= design.NodeCount; n++)
            {
                maxFanIn = Math.Max(maxFanIn, fanIn[n]);
                if (sum[n] * layer.Duration > worstCharge) (worstCharge, worst) = (sum[n] * layer.Duration, (l, n, fanIn[n], sum[n], layer.Duration));
                if (squares[n] > 0) random = Math.Min(random, outputTolerance / (layer.Duration * Math.Sqrt(squares[n])));
            }
        }
        if (worst is not { } w) return null;
        return new FanInBudget(w.Layer, w.Node, w.FanIn, w.Sum, w.Duration, outputTolerance, random, maxFanIn,
            steepest > 0 ? 1 / steepest : null);
    }
}
