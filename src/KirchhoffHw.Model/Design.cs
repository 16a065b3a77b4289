namespace KirchhoffHw.Model;

/// <summary>
/// A KirchhoffNet as a circuit: ground (node 0) plus nodes 1..NodeCount, each with a capacitor to ground,
/// and an ordered list of layers that each connect their device bank during their time slice.
/// Immutable once built; passes make new designs.
/// </summary>
public sealed class Design
{
    public string Name { get; }
    public int NodeCount { get; }
    public IReadOnlyList<Layer> Layers { get; }
    public InputMap Input { get; }
    public Readout Readout { get; }
    public Units Units { get; }
    public TaskKind Task { get; }

    /// <summary>
    /// Per-node trim currents (model units; index 0 is node 1), or null for none: a constant current source from
    /// ground into each node while any layer is connected (dv_k/dt += trim_k), the calibrator's per-node correction.
    /// </summary>
    public double[]? NodeTrims { get; }

    public Design(string name, int nodeCount, IReadOnlyList<Layer> layers, InputMap input, Readout readout,
        Units? units = null, TaskKind task = TaskKind.Regression, double[]? nodeTrims = null)
    {
        if (nodeTrims is not null && nodeTrims.Length != nodeCount)
            throw new ArgumentException($"node trims have {nodeTrims.Length} values but the design has {nodeCount} nodes", nameof(nodeTrims));
        Name = name;
        NodeCount = nodeCount;
        Layers = layers;
        Input = input;
        Readout = readout;
        Units = units ?? Units.Paper;
        Task = task;
        NodeTrims = nodeTrims;
    }

    public double TEnd => Layers.Count == 0 ? 0 : Layers[^1].TEnd;
    public long DeviceCount => Layers.Sum(l => (long)l.Edges.Count);
    public int[] OutputNodes => Readout.Nodes(NodeCount);

    /// <summary>A copy with the given parts replaced; the node trims are kept (<see cref="WithNodeTrims"/> changes them).</summary>
    public Design With(Units? units = null, IReadOnlyList<Layer>? layers = null, string? name = null, TaskKind? task = null) =>
        new(name ?? Name, NodeCount, layers ?? Layers, Input, Readout, units ?? Units, task ?? Task, NodeTrims);

    /// <summary>A copy with these node trims (null for none).</summary>
    public Design WithNodeTrims(double[]? nodeTrims) => new(Name, NodeCount, Layers, Input, Readout, Units, Task, nodeTrims);
}
