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

    /// <summary>ngspice `.options` overriding the defaults derived from the units, e.g. reltol=1e-5.</summary>
    public IReadOnlyDictionary<string, string> SimulatorOptions { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Largest transient step as a fraction of the shortest layer: a backstop. Accuracy comes from ngspice's
    /// truncation-error control with trtol=0.3 (see the emitter's options); this cap only keeps a step from
    /// jumping over a whole slice's dynamics. Errors on twomoon were unchanged between caps of 0.05 and 0.2.
    /// </summary>
    public double MaxStepFraction { get; init; } = 0.05;

    /// <summary>Free text written as comment lines in the header (escaped like every other text).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}
