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

    public Design(string name, int nodeCount, IReadOnlyList<Layer> layers, InputMap input, Readout readout,
        Units? units = null, TaskKind task = TaskKind.Regression)
    {
        Name = name;
        NodeCount = nodeCount;
        Layers = layers;
        Input = input;
        Readout = readout;
        Units = units ?? Units.Paper;
        Task = task;
    }

    public double TEnd => Layers.Count == 0 ? 0 : Layers[^1].TEnd;
    public long DeviceCount => Layers.Sum(l => (long)l.Edges.Count);
    public int[] OutputNodes => Readout.Nodes(NodeCount);

    public Design With(Units? units = null, IReadOnlyList<Layer>? layers = null, string? name = null, TaskKind? task = null) =>
        new(name ?? Name, NodeCount, layers ?? Layers, Input, Readout, units ?? Units, task ?? Task);
}
