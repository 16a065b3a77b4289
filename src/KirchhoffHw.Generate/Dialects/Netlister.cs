using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Generate.Templating;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Generate.Dialects;

/// <summary>Layer L's time slice in model time; its bank disconnects at <see cref="End"/> unless it is the last, which conducts up to the read-out.</summary>
public readonly record struct PhaseWindow(int Layer, double Start, double End, bool SwitchesOff);

/// <summary>Two nodes (A &lt; B) and, per layer, the devices between them (null where a layer has none).</summary>
public sealed record NodePair(int A, int B, IReadOnlyList<int>?[] DevicesByLayer);

/// <summary>
/// What every netlist dialect writes the same way, so a dialect is only its spellings: the initial state from the
/// input, the layer phases and the length of their edges, parallel devices merged per node pair, and the names a
/// simulator reports node voltages under. A dialect subclasses it with its templates and its expression syntax.
/// Method families, as in vlsirtools' netlisters: <c>Write*</c> writes to a <see cref="TextWriter"/>, <c>Format*</c>
/// returns text, <c>Get*</c> looks something up or computes it without writing.
/// </summary>
public abstract class Netlister(TemplateSet? templates)
{
    // The default set is found on first use, so a dialect can be named (a backend registry) before any template is needed.
    private TemplateSet? _templates = templates;

    protected TemplateSet Templates => _templates ??= TemplateSet.Default;

    /// <summary>How this dialect spells a device law.</summary>
    protected abstract ExpressionSyntax Syntax { get; }

    /// <summary>The name a simulator reports node <paramref name="node"/>'s voltage under.</summary>
    public virtual string GetProbe(int node) => Names.Voltage(node);

    public virtual string GetCurrentProbe(string source) => $"i({source.ToLowerInvariant()})";

    /// <summary>The probes of nodes 1..N, in node order.</summary>
    public IReadOnlyList<string> GetProbes(Design design) => Enumerable.Range(1, design.NodeCount).Select(GetProbe).ToList();

    /// <summary>Nodes 1..N at t = 0 in model units: the input through the design's input map (finite, at most one value per node).</summary>
    public static double[] GetInitialState(Design design, IReadOnlyList<double> input)
    {
        var vector = input.ToArray();
        foreach (var v in vector)
            if (!double.IsFinite(v)) throw new KirchhoffHwException("<input>", $"input value {v} is not finite");
        if (vector.Length > design.NodeCount)
            throw new KirchhoffHwException("<input>", $"input has {vector.Length} values but the design has {design.NodeCount} nodes");
        var state = new double[design.NodeCount];
        design.Input.Apply(vector, state);
        return state;
    }

    /// <summary>
    /// A phase edge in seconds: <paramref name="phaseEdge"/> model time units, never more than 1 % of the shortest layer,
    /// so a bank switches sharply against its own dynamics yet on a real ramp a simulator can step across.
    /// </summary>
    public static double GetPhaseEdge(Design design, double phaseEdge) =>
        Math.Min(phaseEdge, 0.01 * design.Layers.Min(l => l.Duration)) * design.Units.TimeUnit;

    /// <summary>Each layer's bank: on at its start, off at its end unless it is the last.</summary>
    public static IReadOnlyList<PhaseWindow> GetPhaseWindows(Design design) =>
        design.Layers.Select((l, i) => new PhaseWindow(i, l.TStart, l.TEnd, l.TEnd < design.TEnd)).ToList();

    /// <summary>The design's non-zero node trims (model units), in node order; empty for an untrimmed design.</summary>
    public static IReadOnlyList<(int Node, double Current)> GetTrims(Design design) => design.NodeTrims is not { } trims ? []
        : trims.Select((t, k) => (Node: k + 1, Current: t)).Where(t => t.Current != 0).ToList();

    /// <summary>
    /// When the trims conduct (model time): every run of adjacent layers is one window, as the reference adds the
    /// trims in every layer's slice and nowhere else; Last marks the window that conducts up to the read-out.
    /// </summary>
    public static IReadOnlyList<(double Start, double End, bool Last)> GetTrimWindows(Design design)
    {
        var windows = new List<(double Start, double End, bool Last)>();
        foreach (var layer in design.Layers)
        {
            if (windows.Count > 0 && windows[^1].End == layer.TStart) windows[^1] = (windows[^1].Start, layer.TEnd, false);
            else windows.Add((layer.TStart, layer.TEnd, false));
        }
        if (windows.Count > 0) windows[^1] = (windows[^1].Start, windows[^1].End, true);
        return windows;
    }

    /// <summary>The device models a design uses, in name order (a dialect writes one definition each).</summary>
    public static IReadOnlyList<DeviceModel> GetModels(Design design) =>
        design.Layers.Select(l => l.Model).DistinctBy(m => m.Name).OrderBy(m => m.Name, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Every node pair that carries a device, in (A, B) order, with its devices per layer. A device across one node
    /// carries no net current into any node and is left out.
    /// </summary>
    public static IReadOnlyList<NodePair> GetNodePairs(Design design)
    {
        var pairs = new SortedDictionary<long, List<int>[]>();
        for (int li = 0; li < design.Layers.Count; li++)
        {
            var edges = design.Layers[li].Edges;
            for (int e = 0; e < edges.Count; e++)
            {
                int s = edges.Source[e], d = edges.Destination[e];
                if (s == d) continue;
                long key = ((long)Math.Min(s, d) << 32) | (uint)Math.Max(s, d);
                if (!pairs.TryGetValue(key, out var perLayer)) pairs[key] = perLayer = new List<int>[design.Layers.Count];
                (perLayer[li] ??= []).Add(e);
            }
        }
        return pairs.Select(kv => new NodePair((int)(kv.Key >> 32), (int)(kv.Key & 0xffffffff), kv.Value)).ToList();
    }

    /// <summary>Runs a Write* method into a string (LF line ends, as every file is written).</summary>
    protected static string Capture(Action<TextWriter> write)
    {
        var w = new StringWriter { NewLine = "\n" };
        write(w);
        return w.ToString();
    }
}

/// <summary>A dialect a simulator reads: the input of one co-simulated case, and the names its results come back under.</summary>
public interface ISimulationDialect
{
    /// <summary>The whole simulator input for <paramref name="circuit"/> started at <see cref="SpiceOptions.Input"/>, with time points at <see cref="SpiceOptions.SampleTimes"/>.</summary>
    string FormatDeck(Design circuit, SpiceOptions options);

    /// <summary>The name a simulator reports node <paramref name="node"/>'s voltage under.</summary>
    string GetProbe(int node);

    /// <summary>The name a simulator reports the current through voltage source <paramref name="source"/> under (positive into its + terminal).</summary>
    string GetCurrentProbe(string source);
}
