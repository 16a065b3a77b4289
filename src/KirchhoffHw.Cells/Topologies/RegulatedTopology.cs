using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells;

/// <summary>
/// The v2 cell (`regulated.sbn`, written by <see cref="RegulatedNetlist"/>): transistors, capacitors and independent
/// sources only. Each node has an input driver (a multi-tanh transconductor) that turns its voltage into two current
/// lines; a device weights them by the width ratio of its copies (a and b), adds copies of node 0's lines for c,
/// converts the sum to the gate voltages of a pMOS pair (tanh) or steers it through a common gate (ReLU), and every
/// device on one node pair shares one output stage of regulated-cascode copies, trimmed per side. Characterized in
/// ngspice like the others through its unit bench; the deck shares drivers and output stages, so it has its own
/// netlist rather than one instance per device.
/// </summary>
public sealed class RegulatedTopology : CellTopology
{
    public override string Key => "regulated";
    public override string Title => "Regulated (v2)";
    public override string CellName => "kh2_os";
    public override string Template => "regulated.sbn";

    /// <summary>Per device: two copies per input line and side, two cancellation copies, two common gates, two loads, the pair, tail and switch.</summary>
    public override int Transistors => 15;
    public override int Pmos => 9;

    /// <summary>The core's tail and the input stage's standing currents (two sides of half a unit each).</summary>
    public override double SupplyFactor => 2.0;

    public override IReadOnlyList<(Shape Shape, Operation Operation)> Realizes { get; } =
        [(Shape.Tanh, Operation.Tanh), (Shape.Relu, Operation.Linear)];

    /// <summary>The trims were measured per side on the unit bench (<see cref="RegulatedFamily.Characterized"/>): the pMOS copies of each pin.</summary>
    public override double OutputRatio(double[] y, double[] to, double[] from) => RegulatedFamily.Characterized.TrimTo;
}
