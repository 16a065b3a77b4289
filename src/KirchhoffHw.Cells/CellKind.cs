using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells;

/// <summary>One transistor circuit of a device's cell, carrying <see cref="Weight"/> of its output.</summary>
public sealed record CellPart(CellTopology Topology, Operation Operation, double Weight);

/// <summary>
/// Which cell realizes a device model: its activation as a sum of shapes (<see cref="Shapes.Of"/>: leaky ReLU is
/// 0.99 rectifier + 0.01 linear transconductor), each shape on the topology that realizes it, and the counts that follow.
/// Everything here is fixed by the topologies; what depends on trained parameters (bias currents, widths) needs a
/// characterized library (<see cref="CellLibrary"/>).
/// </summary>
public sealed record CellKind(DeviceModel Model, IReadOnlyList<CellPart> Parts)
{
    /// <summary>MOS transistors in one device's cell (all parts).</summary>
    public int TransistorCount => Parts.Sum(p => p.Topology.Transistors);

    /// <summary>Phase switches per device (one in each part's tail): the bank conducts only in its time slice.</summary>
    public int PhaseSwitchesPerDevice => Parts.Sum(p => p.Topology.PhaseSwitches);

    /// <summary>Precharge switches per node: one transmission gate (2 transistors) loads the input voltage before t = 0.</summary>
    public const int PrechargeSwitchesPerNode = 1;
    public const int TransistorsPerPrechargeSwitch = 2;

    /// <summary>
    /// True when the device's law needs a powered cell for these parameters: somewhere its current flows against the
    /// voltage drop (I * (vs - vd) &lt; 0) or without one, which no passive two-terminal element does. For
    /// I = amp * act(a*vs + b*vd + c) that is passive exactly when b = -a (the law sees only vs - vd) and the current
    /// follows the drop's sign: c = 0 and amp * a &gt;= 0 for tanh, linear and leaky ReLU; c &lt;= 0 and amp * a &gt;= 0 for ReLU.
    /// </summary>
    public static bool NeedsActiveCell(DeviceModel model, ReadOnlySpan<double> p)
    {
        var f = AffineOf(model, p);
        if (f.Amplitude == 0) return false;
        bool followsDrop = f.B == -f.A && f.A * f.Amplitude >= 0;
        return !(followsDrop && (model.Family == DeviceFamily.Relu ? f.C <= 0 : f.C == 0));
    }

    public static CellKind For(DeviceModel model) => !model.HasAffineForm
        ? throw new NotSupportedException($"no cell for device model {model.Name}: its law is not amplitude * act(a*vs + b*vd + c)")
        : new(model, Shapes.Of(model.Family).Select(s =>
        {
            var (topology, operation) = CellTopologies.For(s.Shape);
            return new CellPart(topology, operation, s.Weight);
        }).ToList());

    /// <summary>
    /// The affine input of the cell, u = a*vs + b*vd + c (model units), and the output amplitude in model units (the law
    /// is amplitude * shape(u), shape ~ tanh or relu or identity; a negative amplitude runs the output dst -> src).
    /// </summary>
    public static AffineForm AffineOf(DeviceModel model, ReadOnlySpan<double> p) => model.HasAffineForm
        ? model.Affine(p)
        : throw new NotSupportedException($"no cell mapping for {model.Name}");
}
