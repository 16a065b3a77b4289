using System.Diagnostics;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Verify;

/// <summary>Task-level figures of a lowered circuit solved in software against the ideal reference.</summary>
public sealed record SoftwareComparison(
    string Design, string Fidelity, TaskKind Task, int Cases,
    double MaxOutputError, double RmsOutputError, double MaxBoundaryError,
    double? ArgmaxAgreement, int? ArgmaxDisagreements, double? MinReferenceMargin,
    double? MeanSampleError, double? ReferenceStd, double? EnergyDistance,
    double ReferenceSeconds, double CircuitSeconds, IReadOnlyList<double[]> CircuitOutputs, IReadOnlyList<double[]> ReferenceOutputs,
    IReadOnlyList<double> BoundaryErrorByLayer, IReadOnlyList<double> ReferenceStateByLayer)
{
    /// <summary>
    /// Solves <paramref name="design"/> (ideal) and <paramref name="circuit"/> (its macro lowering: fitted cell laws)
    /// with the same solver, so the difference is what the cells cost, not the solver. For designs too large to
    /// simulate in ngspice case by case (mnist at 400 s an image), this is how macro fidelity is judged.
    /// </summary>
    public static SoftwareComparison Run(Design design, Design circuit, string fidelity, IReadOnlyList<double[]> inputs, SolverOptions solver, CancellationToken cancel = default) =>
        Against(ReferenceRun.Solve(design, inputs, solver, [], cancel: cancel), circuit, fidelity, cancel: cancel);

    /// <summary>
    /// As <see cref="Run"/> against a reference already solved on the inputs; the circuit is solved with the reference's
    /// own solver options, so a sweep or a flow solves the ideal design once.
    /// </summary>
    public static SoftwareComparison Against(ReferenceRun reference, Design circuit, string fidelity, IReferenceSolver? solver = null, CancellationToken cancel = default)
    {
        var design = reference.Design;
        var inputs = reference.Inputs;
        var failed = Enumerable.Range(0, inputs.Count).FirstOrDefault(i => reference.Cases[i] is null, -1);
        if (failed >= 0) throw new KirchhoffHwException(new SourceLocation(design.Name), $"case {failed}: {reference.Failures[failed]}");
        var cases = reference.Cases.Select(c => c!).ToList();
        var lowered = (solver ?? ReferenceSolver.Default).Solve(circuit, inputs, reference.Options, cancel: cancel);
        double tRef = reference.Elapsed.TotalSeconds, tCircuit = lowered.Elapsed.TotalSeconds;
        var r = cases.Select(c => c.Output).ToList();
        var c = lowered.Cases.Select(c => c.Output).ToList();
        double maxErr = r.Zip(c, (a, b) => Metrics.MaxAbsDiff(a, b)).DefaultIfEmpty(0).Max();
        double rms = Math.Sqrt(r.Zip(c, (a, b) => a.Zip(b, (x, y) => (x - y) * (x - y)).Average()).DefaultIfEmpty(0).Average());
        double boundary = cases.Zip(lowered.Cases, (a, b) => a.Boundaries.Zip(b.Boundaries, (x, y) => Metrics.MaxAbsDiff(x.State, y.State)).DefaultIfEmpty(0).Max()).DefaultIfEmpty(0).Max();
        var byLayer = design.Layers.Select((_, li) => cases.Zip(lowered.Cases, (a, b) => Metrics.MaxAbsDiff(a.Boundaries[li].State, b.Boundaries[li].State)).DefaultIfEmpty(0).Max()).ToList();
        var scale = design.Layers.Select((_, li) => cases.Select(a => a.Boundaries[li].State.Max(Math.Abs)).DefaultIfEmpty(0).Max()).ToList();
        double? agreement = null, margin = null, mean = null, std = null, energy = null;
        int? disagree = null;
        if (design.Task == TaskKind.Classification)
        {
            disagree = r.Zip(c, (a, b) => Metrics.ArgMax(a) != Metrics.ArgMax(b) ? 1 : 0).Sum();
            agreement = 1 - disagree / (double)Math.Max(1, r.Count);
            margin = r.Select(o => Metrics.Margin(o)).DefaultIfEmpty(0).Min();
        }
        else if (design.Task == TaskKind.Generation)
        {
            mean = r.Zip(c, Metrics.Distance).DefaultIfEmpty(0).Average();
            std = Metrics.PooledStd(r);
            energy = Metrics.EnergyDistance(c, r);
        }
        return new SoftwareComparison(design.Name, fidelity, design.Task, inputs.Count, maxErr, rms, boundary, agreement, disagree, margin,
            mean, std, energy, tRef, tCircuit, c, r, byLayer, scale);
    }
}

/// <summary>
/// A software comparison judged: the task rule on its figures, and the node swing against the rails. The swing is
/// the reference's at the layer boundaries, a lower bound (interior points can only be larger).
/// </summary>
public sealed record SoftwareVerdict(SoftwareComparison Comparison, bool Pass, string Inputs, double MaxNodeVolts, (double Low, double High) Rails, bool InRails)
{
    public static SoftwareVerdict Judge(SoftwareComparison comparison, VerifyOptions options, Units units, (double Low, double High) rails, string inputs)
    {
        double volts = comparison.ReferenceStateByLayer.DefaultIfEmpty(0).Max() * units.VoltageScale;
        bool inRails = volts <= Math.Min(rails.High, -rails.Low);
        bool pass = TaskRule.Holds(comparison, options.ToleranceFor(comparison.Task), options.GenerationRelativeError) && inRails;
        return new SoftwareVerdict(comparison, pass, inputs, volts, rails, inRails);
    }

    public void Save(string path) =>
        Model.IO.AtomicFile.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(
            new { comparison = Comparison, pass = Pass, inputs = Inputs, max_node_volts = MaxNodeVolts, rails = new[] { Rails.Low, Rails.High }, in_rails = InRails },
            new System.Text.Json.JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }) + "\n");
}
