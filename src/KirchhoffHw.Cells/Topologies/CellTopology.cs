using System.Text.Json;
using System.Text.Json.Serialization;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells;

/// <summary>How a part of a cell uses its circuit: as a saturating tanh, or in its linear range (scaled to each device's input range).</summary>
public enum Operation { Tanh, Linear }

/// <summary>
/// A transistor circuit a device's cell is built from, with everything its netlist fixes: the subcircuit and its
/// template (`templates/spice/cells/&lt;Template&gt;`), transistor and switch counts, quiescent supply, the shapes it
/// realizes, and the trim its characterization applies. A new topology is one subclass, its template and one line in
/// <see cref="CellTopologies.All"/>: characterization, fitting, lowering, costing and the transistor deck ask it.
/// </summary>
[JsonConverter(typeof(CellTopologyJsonConverter))]
public abstract class CellTopology
{
    /// <summary>Lower-case key: cache files, plot keys (`cell_&lt;key&gt;`).</summary>
    public abstract string Key { get; }

    /// <summary>As reports name it.</summary>
    public abstract string Title { get; }

    /// <summary>The subcircuit's name in decks.</summary>
    public abstract string CellName { get; }

    /// <summary>The subcircuit's template, relative to `templates/spice/cells/`.</summary>
    public abstract string Template { get; }

    /// <summary>MOS transistors of one instance, the bias diode and the phase switch included.</summary>
    public abstract int Transistors { get; }

    /// <summary>pMOS among <see cref="Transistors"/> (the rest are nMOS).</summary>
    public abstract int Pmos { get; }

    /// <summary>Phase switches of one instance: its bank conducts only in its layer's time slice.</summary>
    public virtual int PhaseSwitches => 1;

    /// <summary>Quiescent supply current of one instance per ampere of its bias (tail) current.</summary>
    public abstract double SupplyFactor { get; }

    /// <summary>The shapes the circuit's output follows, and the operation each is fitted as.</summary>
    public abstract IReadOnlyList<(Shape Shape, Operation Operation)> Realizes { get; }

    /// <summary>
    /// The width trim of the output mirror that makes the two output pins carry the same current, from a sweep of the
    /// untrimmed cell at the outputs' centre voltage: <paramref name="to"/> is the current into `to`, <paramref name="from"/>
    /// the current out of `from`, both per unit bias, against the differential input <paramref name="y"/>.
    /// </summary>
    public abstract double OutputRatio(double[] y, double[] to, double[] from);

    /// <summary>The shape a part operated as <paramref name="operation"/> follows.</summary>
    public Shape ShapeOf(Operation operation)
    {
        foreach (var (shape, op) in Realizes)
            if (op == operation) return shape;
        throw new ArgumentException($"{Title} is not operated as {operation}", nameof(operation));
    }

    /// <summary>The ideal law a part operated as <paramref name="operation"/> is fitted to.</summary>
    public double Target(Operation operation, double u) => Shapes.Apply(ShapeOf(operation), u);

    public override string ToString() => Title;
}

/// <summary>The registry of cell topologies. For each shape a device law needs, the first topology here that realizes it builds it.</summary>
public static class CellTopologies
{
    public static readonly CellTopology Ota = new OtaTopology();
    public static readonly CellTopology Rectifier = new RectifierTopology();

    public static IReadOnlyList<CellTopology> All { get; } = [Ota, Rectifier];

    /// <summary>
    /// The transistor-fidelity default: the v2 cell. Its deck shares drivers and output stages between devices
    /// (<see cref="RegulatedNetlist"/>), so it is not in <see cref="All"/>, which the per-device characterization walks.
    /// </summary>
    public static readonly CellTopology Regulated = new RegulatedTopology();

    public static (CellTopology Topology, Operation Operation) For(Shape shape)
    {
        foreach (var t in All)
            foreach (var (s, op) in t.Realizes)
                if (s == shape) return (t, op);
        throw new NotSupportedException($"no cell topology realizes the {shape} shape");
    }

    public static CellTopology? Find(string key) => All.FirstOrDefault(t => t.Key == key) ?? (key == Regulated.Key ? Regulated : null);
}

/// <summary>A topology is stored (in the characterization cache) as its key.</summary>
public sealed class CellTopologyJsonConverter : JsonConverter<CellTopology>
{
    public override CellTopology Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        CellTopologies.Find(reader.GetString() ?? "") ?? throw new JsonException("unknown cell topology");

    public override void Write(Utf8JsonWriter writer, CellTopology value, JsonSerializerOptions options) => writer.WriteStringValue(value.Key);
}
