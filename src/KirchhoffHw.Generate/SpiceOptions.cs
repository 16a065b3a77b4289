namespace KirchhoffHw.Generate;

/// <summary>How device banks are written into a SPICE deck.</summary>
public enum DeckStyle
{
    /// <summary><see cref="Devices"/> for small designs, <see cref="Merged"/> from <see cref="SpiceOptions.MergeThreshold"/> devices on.</summary>
    Auto,
    /// <summary>One subcircuit per device model, one gated instance per device: readable, one line per trained device.</summary>
    Devices,
    /// <summary>
    /// One behavioural source per node pair covering every layer: parallel devices summed, exact tables for
    /// piecewise-linear laws, the phase choosing the layer's law. Same circuit equations, far fewer elements.
    /// </summary>
    Merged,
}

/// <summary>Everything a deck needs besides the design (which carries its units).</summary>
public sealed record SpiceOptions
{
    public static readonly SpiceOptions Default = new();

    public DeckStyle Style { get; init; } = DeckStyle.Auto;
    public int MergeThreshold { get; init; } = 500;

    /// <summary>Input vector in model units (mapped to initial node voltages by the design's input map). Empty = all nodes at 0 V.</summary>
    public IReadOnlyList<double> Input { get; init; } = [];

    /// <summary>Extra model times at which the simulator must land exactly (trajectory comparison).</summary>
    public IReadOnlyList<double> SampleTimes { get; init; } = [];

    /// <summary>Phase edge duration in model time units: sharp against the dynamics, yet a real ramp for the simulator.</summary>
    public double PhaseEdge { get; init; } = 1e-6;

    /// <summary>
    /// The simulator's error control in model units; null = <see cref="DeckAccuracy.Default"/>. Verification derives it
    /// from the design's reference (docs/verification.md) before any deck is written.
    /// </summary>
    public DeckAccuracy? Accuracy { get; init; }

    /// <summary>ngspice `.options` overriding <see cref="Accuracy"/> and the other defaults, e.g. reltol=1e-5.</summary>
    public IReadOnlyDictionary<string, string> SimulatorOptions { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Largest transient step as a fraction of the shortest layer: a backstop. Accuracy comes from ngspice's
    /// truncation-error control (<see cref="Accuracy"/>); this cap only keeps a step from jumping over a whole
    /// slice's dynamics. Errors on twomoon were unchanged between caps of 0.05 and 0.2.
    /// </summary>
    public double MaxStepFraction { get; init; } = 0.05;

    /// <summary>Free text written as comment lines in the header (escaped like every other text).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>
    /// Set by the transistor lowering pass: writes the device banks as transistor-level cells instead of
    /// behavioural sources. Null = the design's device laws as they are (ideal, or macro after lowering).
    /// </summary>
    public IDeviceNetlist? Devices { get; init; }

    /// <summary>
    /// A starting guess for the deck's operating point (`.nodeset`): a bias point of the same circuit, so Newton starts
    /// next to the answer instead of stepping gmin from scratch. A convergence aid only: the solution is the deck's own.
    /// </summary>
    public IReadOnlyList<NodeSet> NodeSets { get; init; } = [];

    /// <summary>Stop the transient at its first step: the run is for its t = 0 point, the operating point with the input held.</summary>
    public bool OperatingPointOnly { get; init; }
}

/// <summary>One net's starting voltage for the operating point; <see cref="Net"/> as the simulator names it (subcircuit nets dotted).</summary>
public sealed record NodeSet(string Net, double Volts);

/// <summary>
/// ngspice's error control, in model units so that one choice holds at any capacitance, time unit and voltage scale:
/// the deck writes vntol = <see cref="VoltageFloor"/> x V_s, chgtol = <see cref="ChargeFloor"/> x C x V_s and abstol =
/// <see cref="CurrentFloor"/> x C x V_s / tau. ngspice's own absolute defaults (abstol 1 pA, chgtol 10 fC, vntol 1 uV)
/// are sized for milliamp circuits: at 1 pF the charge tolerance alone would be 1 % of a 1 V swing.
/// </summary>
/// <param name="RelTol">ngspice reltol: the relative tolerance of every node's Newton solution and truncation-error estimate.</param>
/// <param name="TrTol">ngspice divides its trapezoidal truncation-error estimate by trtol (default 7, a fudge for circuits whose
/// estimate runs high). Ours runs true: at 7 the steps grow until twomoon's errors reach 1e-2.</param>
/// <param name="Basis">How the numbers were chosen, one line for the deck header.</param>
public sealed record DeckAccuracy(double RelTol, double TrTol, double VoltageFloor, double ChargeFloor, double CurrentFloor, string Basis)
{
    /// <summary>Tight enough for outputs of order 1 held to 1e-3: what a deck gets when no reference was solved for it.</summary>
    public static readonly DeckAccuracy Default = new(1e-6, 0.15, 1e-7, 1e-9, 1e-9, "fixed defaults (no reference was solved for this deck)");
}

/// <summary>A lowering pass's replacement for a deck's device banks: finished, escaped deck text.</summary>
public interface IDeviceNetlist
{
    /// <summary>The fidelity named in the deck header, e.g. "transistor".</summary>
    string Fidelity { get; }

    /// <summary>Writes models, supplies, cells and switches. <paramref name="initialState"/> is each node's input in model units.</summary>
    void Write(Model.Design design, IReadOnlyList<double> initialState, TextWriter output);

    /// <summary>
    /// The capacitor (F) to place on each node 1..N: the design's capacitance less what the cells themselves add
    /// to the node, so the total is the design's. Null = the design's capacitance everywhere.
    /// </summary>
    IReadOnlyList<double>? NodeCapacitors(Model.Design design);

    /// <summary>The cell a simulator failure message points at (its failing net traced to the cell that owns it), or null.</summary>
    string? Locate(string message) => null;

    /// <summary>The supply rails the banks draw from (independent voltage sources the deck writes), so a co-simulation can measure their power.</summary>
    IReadOnlyList<SupplyRail> Rails => [];
}

/// <summary>A supply rail of a deck: the voltage source that holds it (its name as written) and its voltage.</summary>
public sealed record SupplyRail(string Source, double Volts);
