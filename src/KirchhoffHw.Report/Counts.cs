using KirchhoffHw.Model;

namespace KirchhoffHw.Report;

/// <summary>One layer's bank: its device model, device count, time slice (model units) and what it costs in silicon.</summary>
public sealed record LayerCount(int Index, string Model, long Devices, double TStart, double TEnd, LayerCosts Costs);

/// <summary>Devices of one model over all layers, with the cell figures that turn them into transistors and switches.</summary>
public sealed record ModelCount(string Model, long Devices, int TransistorsPerDevice, int SwitchesPerDevice, long Transistors, long Switches);

/// <summary>
/// What the chip is made of, counted from the design itself (never estimated): one capacitor per node, one cell
/// per device (its phase switches inside it), plus the switches that precharge each node to its input.
/// </summary>
public sealed record DesignCounts(
    int Nodes,
    int Capacitors,
    long Devices,
    int Outputs,
    IReadOnlyList<LayerCount> Layers,
    IReadOnlyList<ModelCount> Models,
    int PrechargeSwitchesPerNode,
    int TransistorsPerPrechargeSwitch,
    string CellOrigin,
    bool Sized)
{
    public long DeviceTransistors => Layers.Sum(l => l.Costs.Transistors);
    public long DeviceSwitches => Layers.Sum(l => l.Costs.PhaseSwitches);
    public long PrechargeSwitches => (long)Nodes * PrechargeSwitchesPerNode;
    public long PrechargeTransistors => PrechargeSwitches * TransistorsPerPrechargeSwitch;
    public long Switches => DeviceSwitches + PrechargeSwitches;

    /// <summary>
    /// The transistor deck's own count when the report is of a transistor circuit whose deck was counted (<see cref="Deck"/>);
    /// otherwise the cell figures' (<see cref="EstimatedTransistors"/>).
    /// </summary>
    public long Transistors => Deck?.Transistors ?? EstimatedTransistors;

    /// <summary>Device cells of the cell figures (<see cref="CellOrigin"/>) plus precharge switches: what the area and power estimates are made of.</summary>
    public long EstimatedTransistors => DeviceTransistors + PrechargeTransistors;

    /// <summary>The MOS transistors of the transistor deck the project writes for this design, counted from the deck's writer; null when not counted.</summary>
    public Cells.DeckCount? Deck { get; init; }

    /// <summary>Which cells <see cref="Transistors"/> counts.</summary>
    public string TransistorOrigin => Deck is { } d
        ? $"the transistor deck as written: {d.Family}"
        : $"cell figures ({CellOrigin}) plus precharge switches";
    /// <summary>Devices outside the bias range; null when the cells are not sized.</summary>
    public long? OutOfRange => Sized ? Layers.Sum(l => l.Costs.OutOfRange ?? 0) : null;

    public static DesignCounts Of(Design design, ICellCosts cells, EstimateInputs inputs)
    {
        var layers = design.Layers.Select((l, i) => new LayerCount(i, l.Model.Name, l.Edges.Count, l.TStart, l.TEnd, cells.Cost(i, l, design.Units))).ToList();
        var models = layers.GroupBy(l => l.Model, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ModelCount(g.Key, g.Sum(l => l.Devices), cells.TransistorsPerDevice(g.Key), cells.PhaseSwitchesPerDevice(g.Key),
                g.Sum(l => l.Costs.Transistors), g.Sum(l => l.Costs.PhaseSwitches))).ToList();
        return new DesignCounts(design.NodeCount, design.NodeCount, design.DeviceCount, design.OutputNodes.Length, layers, models,
            inputs.PrechargeSwitchesPerNode, inputs.TransistorsPerPrechargeSwitch, cells.Origin, cells.Sized);
    }
}
