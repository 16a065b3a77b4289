using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Report;

/// <summary>One layer's share of the digital forward pass.</summary>
/// <param name="EvaluationsPerCase">Right-hand-side evaluations the reference made in this layer, mean over the cases.</param>
/// <param name="OpsPerDevice">Operations of the device law plus two for adding its current into two nodes.</param>
public sealed record LayerOps(int Index, string Model, long Devices, int OpsPerDevice, double EvaluationsPerCase, double OpsPerEvaluation);

/// <summary>
/// The same forward pass on a digital machine: the reference's evaluation count x operations per evaluation x energy
/// per operation. The reference runs at the tolerance the model was trained with, as the authors ran it.
/// </summary>
public sealed record DigitalComparison(
    DigitalMachine Machine,
    string Solver,
    double Tolerance,
    int Cases,
    int OpsPerNodePerEvaluation,
    IReadOnlyList<LayerOps> Layers,
    double OpsPerInference,
    double EnergyPerInference,
    double TimePerInference)
{
    /// <summary>A Dormand-Prince stage combines up to six earlier stages per node: about six multiply-adds, twelve operations.</summary>
    public const int NodeOps = 12;

    public const string Formula = "ops = sum over layers l of evals_l * (N_l * ops_dev(l) + N_nodes * ops_node);  E = ops * e_op;  t = ops / rate";

    /// <summary>Operations in a law: each +, -, x, tanh, relu and leaky relu counts one (a GPU issues tanh as one special-function instruction).</summary>
    public static int LawOps(Expr e) => e switch
    {
        Binary b => 1 + LawOps(b.Left) + LawOps(b.Right),
        Call call => 1 + LawOps(call.Argument),
        Leaky l => 1 + LawOps(l.Argument),
        _ => 0,
    };

    /// <param name="reference">The design solved on the report's cases by Dormand-Prince at the tolerance the comparison is made at.</param>
    public static DigitalComparison Compute(Design design, ReferenceResult reference, DigitalMachine machine)
    {
        // Evaluations per layer are each case's own count in that layer (each case keeps its own step sizes and
        // every layer restarts its step control), averaged over the cases.
        var layers = new List<LayerOps>();
        var cases = reference.Cases;
        for (int l = 0; l < design.Layers.Count; l++)
        {
            double evals = cases.Count == 0 ? 0 : cases.Select(c => (double)c.LayerStats[l].RhsEvaluations).Average();
            var layer = design.Layers[l];
            int opsDevice = LawOps(layer.Model.Law) + 2;
            layers.Add(new LayerOps(l, layer.Model.Name, layer.Edges.Count, opsDevice, evals,
                (double)layer.Edges.Count * opsDevice + (double)design.NodeCount * NodeOps));
        }
        double ops = layers.Sum(l => l.EvaluationsPerCase * l.OpsPerEvaluation);
        return new DigitalComparison(machine, "Dopri5", reference.Options.RelTol, cases.Count, NodeOps, layers, ops, ops * machine.EnergyPerOpJ, ops / machine.OpsPerSecond);
    }
}
