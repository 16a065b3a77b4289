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
    public static SoftwareComparison Run(Design design, Design circuit, string fidelity, IReadOnlyList<double[]> inputs, SolverOptions solver, CancellationToken cancel = default)
    {
        var reference = ReferenceSolver.Solve(design, inputs, solver, cancel: cancel);
        return Against(design, reference, circuit, fidelity, inputs, solver, cancel);
    }

    /// <summary>As <see cref="Run"/> against a reference already solved (with the same solver), so a sweep solves it once.</summary>
    public static SoftwareComparison Against(Design design, ReferenceResult reference, Design circuit, string fidelity, IReadOnlyList<double[]> inputs, SolverOptions solver, CancellationToken cancel = default)
    {
        var lowered = ReferenceSolver.Solve(circuit, inputs, solver, cancel: cancel);
        double tRef = reference.Elapsed.TotalSeconds, tCircuit = lowered.Elapsed.TotalSeconds;
        var r = reference.Cases.Select(c => c.Output).ToList();
        var c = lowered.Cases.Select(c => c.Output).ToList();
        double maxErr = r.Zip(c, (a, b) => Metrics.MaxAbsDiff(a, b)).DefaultIfEmpty(0).Max();
        double rms = Math.Sqrt(r.Zip(c, (a, b) => a.Zip(b, (x, y) => (x - y) * (x - y)).Average()).DefaultIfEmpty(0).Average());
        double boundary = reference.Cases.Zip(lowered.Cases, (a, b) => a.Boundaries.Zip(b.Boundaries, (x, y) => Metrics.MaxAbsDiff(x.State, y.State)).DefaultIfEmpty(0).Max()).DefaultIfEmpty(0).Max();
        var byLayer = design.Layers.Select((_, li) => reference.Cases.Zip(lowered.Cases, (a, b) => Metrics.MaxAbsDiff(a.Boundaries[li].State, b.Boundaries[li].State)).DefaultIfEmpty(0).Max()).ToList();
        var scale = design.Layers.Select((_, li) => reference.Cases.Select(a => a.Boundaries[li].State.Max(Math.Abs)).DefaultIfEmpty(0).Max()).ToList();
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
