namespace KirchhoffHw.Model;

/// <summary>
/// How physically a device is rendered, chosen per run. Each step is a lowering pass over the design
/// (ideal -> macro -> transistor), not a separate emitter.
/// </summary>
public enum Fidelity
{
    /// <summary>Every device law exact (behavioural sources).</summary>
    Ideal,
    /// <summary>Each device as its fitted cell's characterized I-V (a table per cell), fast enough for full designs.</summary>
    Macro,
    /// <summary>Every device as its transistor-level cell in the chosen technology.</summary>
    Transistor,
}
