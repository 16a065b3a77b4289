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

    /// <summary>Largest allowed |circuit - reference| of an output, model units; null = per task (5e-3 for classification logits, 1e-3 otherwise).</summary>
    public double? Tolerance { get; init; }

    /// <summary>Absolute part of every state's bound (boundaries, interior samples), model units; null = the output tolerance.</summary>
    public double? StateAtol { get; init; }

    /// <summary>Relative part of every state's bound: a fraction of the case's largest |reference state| (see <see cref="ToleranceRule"/>).</summary>
    public double StateRtol { get; init; } = 1e-3;

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

    /// <summary>The supply whose rails (V, relative to node 0) the node voltages are checked against at every fidelity; null = no check.</summary>
    public Supply? Supply { get; init; }

    /// <summary>How the design's voltage scale was chosen, when it was chosen automatically (written into the verdict).</summary>
    public Model.VoltageScaleChoice? VoltageScale { get; init; }

    /// <summary>
    /// Give MOS decks the circuit's operating point as a starting guess (<see cref="OperatingPointSeed"/>), solved once
    /// per run and cached in <see cref="CacheDir"/>. A convergence aid: off, every case steps gmin from scratch.
    /// </summary>
    public bool SeedOperatingPoint { get; init; } = true;

    /// <summary>Cache folder for measured results (operating points); null = <see cref="Model.IO.CacheFolder.Default"/>.</summary>
    public string? CacheDir { get; init; }

    public double ToleranceFor(Model.TaskKind task) => Tolerance ?? (task == Model.TaskKind.Classification ? 5e-3 : 1e-3);

    /// <summary>Every bound of a run of this task: outputs at <see cref="ToleranceFor"/>, states at atol + rtol x scale.</summary>
    public ToleranceRule RuleFor(Model.TaskKind task) => new(ToleranceFor(task), StateAtol ?? ToleranceFor(task), StateRtol, InitialTolerance);
}

/// <summary>A supply's rails (V, relative to node 0).</summary>
/// <param name="Name">Whose rails: a technology's name.</param>
/// <param name="Powers">True when the circuit runs on this supply (MOS cells): leaving the rails then fails the verification.
/// False at ideal fidelity, whose laws hold at any voltage: the check then says whether the chip could be built at this scale.</param>
public sealed record Supply(string Name, double Vss, double Vdd, bool Powers)
{
    /// <summary>Largest |node voltage| inside the rails: node voltages are signed from node 0, so split rails allow min(Vdd, -Vss).</summary>
    public double AllowedSwing => Vss < 0 ? Math.Min(Vdd, -Vss) : Vdd;
}
