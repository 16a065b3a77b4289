using KirchhoffHw.Generate;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Verify;

/// <summary>Thresholds and plans for one verification run. Defaults are chosen per task where it matters.</summary>
public sealed record VerifyOptions
{
    public static readonly VerifyOptions Default = new();

    public SpiceOptions Spice { get; init; } = SpiceOptions.Default;

    /// <summary>The golden model: tight enough that its own error is negligible against the tolerances.</summary>
    public SolverOptions Reference { get; init; } = SolverOptions.Golden;

    /// <summary>Largest allowed |circuit - reference| in model units at boundaries, samples and outputs; null = per task (5e-3 for classification logits, 1e-3 otherwise).</summary>
    public double? Tolerance { get; init; }

    /// <summary>Largest allowed |v(0) - input| in model units: the initial conditions are the input, and simulators are known to drop them.</summary>
    public double InitialTolerance { get; init; } = 1e-9;

    /// <summary>Interior points per layer where trajectories are compared (besides the boundaries).</summary>
    public int SamplesPerLayer { get; init; } = 3;

    /// <summary>Generation: mean per-sample error allowed, as a fraction of the reference samples' standard deviation.</summary>
    public double GenerationRelativeError { get; init; } = 0.05;

    /// <summary>Wall-clock limit per simulated case.</summary>
    public TimeSpan CaseTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Most time points per layer at which device currents are evaluated for the dynamic-range figures.</summary>
    public int CurrentProbePoints { get; init; } = 64;

    /// <summary>
    /// The circuit as lowered to the chosen fidelity (macro: fitted cell laws; transistor: the ideal design with
    /// <see cref="SpiceOptions.Devices"/> set). Null = the design itself (ideal). The reference always runs the design.
    /// </summary>
    public Model.Design? Circuit { get; init; }

    /// <summary>The fidelity the circuit was built at, recorded in the verdict.</summary>
    public Model.CircuitFidelity Fidelity { get; init; } = Model.CircuitFidelity.Ideal;

    /// <summary>Supply rails (V, relative to node 0) the node voltages must stay inside; null = no check.</summary>
    public (double Low, double High)? Rails { get; init; }

    public double ToleranceFor(Model.TaskKind task) => Tolerance ?? (task == Model.TaskKind.Classification ? 5e-3 : 1e-3);
}
