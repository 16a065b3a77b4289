using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells;

/// <summary>Transistor-level circuits a device can be built from.</summary>
public enum Topology
{
    /// <summary>Differential pair into mirrors: I = I1 - I2, both signs, tanh-like (linear for small inputs).</summary>
    Ota,
    /// <summary>The same transconductor into a one-sided current switch: max(I1 - I2, 0).</summary>
    Rectifier,
}

/// <summary>How a part of a cell uses its topology: as a saturating tanh or in its linear range.</summary>
public enum Operation { Tanh, Linear }

/// <summary>One transistor circuit of a device's cell, carrying <see cref="Weight"/> of its output.</summary>
public sealed record CellPart(Topology Topology, Operation Operation, double Weight);

/// <summary>
/// Which cell realizes a device model: its parts (leaky ReLU = 0.99 rectifier + 0.01 linear transconductor),
/// transistor counts and switches. Everything here is fixed by the topology; what depends on trained
/// parameters (bias currents, widths) needs a characterized library (<see cref="CellLibrary"/>).
/// </summary>
public sealed record CellKind(DeviceModel Model, IReadOnlyList<CellPart> Parts)
{
    /// <summary>Transistors per part, including the bias diode and the phase switch in the tail.</summary>
    public static int TransistorsOf(Topology t) => t == Topology.Ota ? 15 : 16;

    /// <summary>pMOS among <see cref="TransistorsOf"/> (the rest are nMOS).</summary>
    public static int PmosOf(Topology t) => 6;

    /// <summary>MOS transistors in one device's cell (all parts).</summary>
    public int TransistorCount => Parts.Sum(p => TransistorsOf(p.Topology));

    /// <summary>Phase switches per device (one in each part's tail): the bank conducts only in its time slice.</summary>
    public int PhaseSwitchesPerDevice => Parts.Count;

    /// <summary>Precharge switches per node: one transmission gate (2 transistors) loads the input voltage before t = 0.</summary>
    public const int PrechargeSwitchesPerNode = 1;
    public const int TransistorsPerPrechargeSwitch = 2;

    /// <summary>
    /// Quiescent supply current of a part per ampere of its bias (tail) current: the reference branch (1), the pair
    /// (1) and, at balance, two mirror branches of I/2 per output side (2 for the transconductor; the
    /// rectifier's two input mirrors carry 1, its output mirrors nothing at rest).
    /// </summary>
    public static double SupplyFactor(Topology t) => t == Topology.Ota ? 4.0 : 3.0;

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
        : model.Family switch
    {
        DeviceFamily.Tanh => new(model, [new CellPart(Topology.Ota, Operation.Tanh, 1.0)]),
        DeviceFamily.Relu => new(model, [new CellPart(Topology.Rectifier, Operation.Linear, 1.0)]),
        DeviceFamily.LeakyRelu => new(model, [new CellPart(Topology.Rectifier, Operation.Linear, 1.0 - 0.01),
                                              new CellPart(Topology.Ota, Operation.Linear, 0.01)]),
        DeviceFamily.Linear => new(model, [new CellPart(Topology.Ota, Operation.Linear, 1.0)]),
        _ => throw new NotSupportedException($"no cell for device family {model.Family}"),
    };

    /// <summary>
    /// The affine input of the cell, u = a*vs + b*vd + c (model units), and the output amplitude in model units (the law
    /// is amplitude * shape(u), shape ~ tanh or relu or identity; a negative amplitude runs the output dst -> src).
    /// </summary>
    public static AffineForm AffineOf(DeviceModel model, ReadOnlySpan<double> p) => model.HasAffineForm
        ? model.Affine(p)
        : throw new NotSupportedException($"no cell mapping for {model.Name}");
}
