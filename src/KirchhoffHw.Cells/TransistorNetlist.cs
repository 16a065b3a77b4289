using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Generate.Templating;
using KirchhoffHw.Model;

namespace KirchhoffHw.Cells;

/// <summary>Writes the transistor-level banks: models, supplies, phase gates, one cell per device part, precharge switches.</summary>
public sealed class TransistorNetlist(CellLibrary library, TemplateSet templates, NodeRanges ranges) : IDeviceNetlist
{
    public const string BankTemplate = "spice/cells/bank.sbn";
    public string Fidelity => "transistor";

    /// <summary>bank.sbn's Vdd and Vss: every cell of the deck draws from them.</summary>
    public IReadOnlyList<SupplyRail> Rails => [new("Vdd", library.Tech.Vdd), new("Vss", library.Tech.Vss)];

    /// <summary>
    /// Each node's capacitor less the output capacitance of the cells on it (measured per unit cell, scaled by
    /// width; weighted by the share of time each cell's layer conducts). A node whose cells alone exceed the
    /// design's capacitance keeps 1 % of it, and <see cref="Overloaded"/> lists it.
    /// </summary>
    public IReadOnlyList<double>? NodeCapacitors(Design design)
    {
        var par = ParasiticCapacitance(design, library, ranges);
        var caps = new double[design.NodeCount];
        var over = new List<int>();
        for (int n = 1; n <= design.NodeCount; n++)
        {
            caps[n - 1] = design.Units.Capacitance - par[n];
            if (caps[n - 1] < 0.01 * design.Units.Capacitance) { over.Add(n); caps[n - 1] = 0.01 * design.Units.Capacitance; }
        }
        Overloaded = over;
        return caps;
    }

    /// <summary>Nodes whose cells' own capacitance exceeds the design's node capacitance (set by <see cref="NodeCapacitors"/>).</summary>
    public IReadOnlyList<int> Overloaded { get; private set; } = [];

    /// <summary>Output capacitance (F) the cells put on each node 0..N.</summary>
    public static double[] ParasiticCapacitance(Design design, CellLibrary library, NodeRanges ranges)
    {
        var par = new double[design.NodeCount + 1];
        double total = design.TEnd - (design.Layers.Count == 0 ? 0 : design.Layers[0].TStart);
        for (int li = 0; li < design.Layers.Count; li++)
        {
            var layer = design.Layers[li];
            var nodeRange = ranges.For(li);
            double on = total > 0 ? layer.Duration / total : 1;
            var kind = CellKind.For(layer.Model);
            for (int e = 0; e < layer.Edges.Count; e++)
            {
                var p = layer.ParametersOf(e);
                var (_, _, _, amplitude) = CellKind.AffineOf(layer.Model, p);
                var sizes = library.Size(layer.Model, p, design.Units, Lowering.DeviceRange(layer, e, p, nodeRange));
                int from = amplitude < 0 ? layer.Edges.Destination[e] : layer.Edges.Source[e];
                int to = amplitude < 0 ? layer.Edges.Source[e] : layer.Edges.Destination[e];
                for (int j = 0; j < sizes.Length; j++)
                {
                    var c = library.Characterizations[kind.Parts[j].Topology];
                    par[from] += sizes[j].WidthScale * (on * c.FromCapacitance[0] + (1 - on) * c.FromCapacitance[1]);
                    par[to] += sizes[j].WidthScale * (on * c.ToCapacitance[0] + (1 - on) * c.ToCapacitance[1]);
                }
            }
        }
        return par;
    }

    public void Write(Design design, IReadOnlyList<double> initialState, TextWriter output)
    {
        var tech = library.Tech;
        var units = design.Units;
        var instances = new List<Dictionary<string, object>>();
        for (int li = 0; li < design.Layers.Count; li++)
        {
            var layer = design.Layers[li];
            var nodeRange = ranges.For(li);
            var kind = CellKind.For(layer.Model);
            for (int e = 0; e < layer.Edges.Count; e++)
            {
                var p = layer.ParametersOf(e);
                var (a, b, c, amplitude) = CellKind.AffineOf(layer.Model, p);
                var sizes = library.Size(layer.Model, p, units, Lowering.DeviceRange(layer, e, p, nodeRange));
                string src = Names.Node(layer.Edges.Source[e]), dst = Names.Node(layer.Edges.Destination[e]);
                bool reverse = amplitude < 0; // the cell drives from -> to; a negative amplitude runs it dst -> src
                for (int j = 0; j < sizes.Length; j++)
                {
                    if (sizes[j].WidthScale == 0) continue;
                    var part = kind.Parts[j];
                    instances.Add(new()
                    {
                        ["name"] = $"{Numbers.Format(li)}_{Numbers.Format(e)}" + (sizes.Length > 1 ? "_" + Numbers.Format(j) : ""),
                        ["ina"] = src, ["inb"] = dst,
                        ["from"] = reverse ? dst : src, ["to"] = reverse ? src : dst,
                        ["gate"] = "g" + Names.Phase(li),
                        ["cell"] = part.Topology.CellName,
                        ["a"] = Numbers.Format(a / units.VoltageScale),
                        ["b"] = Numbers.Format(b / units.VoltageScale),
                        // the fit's input trim rides on the constant term: the cell's zero lands where the law's is
                        ["c"] = Numbers.Format(c + library.FitOf(part).InputTrim(sizes[j].Gain)),
                        ["hg"] = Numbers.Format(sizes[j].Gain / 2),
                        ["k"] = Numbers.Format(sizes[j].WidthScale),
                    });
                }
            }
        }
        var model = new Dictionary<string, object>(CellTemplates.Common(tech))
        {
            ["cells"] = library.Characterizations.Select(kv => CellTemplates.Cell(kv.Key, kv.Value.OutputRatio)).ToList(),
            ["devices"] = Numbers.Format((int)design.DeviceCount),
            ["vdd"] = Numbers.Format(tech.Vdd),
            ["vss"] = Numbers.Format(tech.Vss),
            ["span"] = Numbers.Format(tech.Supply),
            ["gates"] = design.Layers.Select((_, i) => new Dictionary<string, object> { ["net"] = "g" + Names.Phase(i), ["phase"] = Names.Phase(i) }).ToList(),
            ["instances"] = instances,
            ["switch_width"] = Numbers.Format(tech.Cells.SwitchWidth),
            ["switch_length"] = Numbers.Format(tech.MinLength),
            ["precharge"] = Enumerable.Range(1, design.NodeCount).Select(k => new Dictionary<string, object>
            {
                ["index"] = Numbers.Format(k), ["node"] = Names.Node(k),
                ["volts"] = Numbers.Format(initialState[k - 1] * units.VoltageScale),
            }).ToList(),
        };
        templates.Render(BankTemplate, model, output);
    }
}
