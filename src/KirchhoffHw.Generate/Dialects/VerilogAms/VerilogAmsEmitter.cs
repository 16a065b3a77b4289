using System.Text;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Generate.Templating;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;
using KirchhoffHw.Model.IO;

namespace KirchhoffHw.Generate.Dialects.VerilogAms;

/// <summary>What a written top module contains, for reports and benchmarks.</summary>
public sealed record VerilogAmsSummary(int Nets, long Instances);

/// <summary>
/// Writes a design as Verilog-AMS (ideal fidelity): `&lt;name&gt;_devices.va` holds pure Verilog-A modules (one per
/// device model, plain and phase-gated, plus the node capacitor and the precharge switch), `&lt;name&gt;_top.vams`
/// the structural circuit, `&lt;name&gt;_tb.vams` a testbench that precharges the inputs, drives the phases and
/// prints the outputs. Names and numbers come only from <see cref="Names"/>, <see cref="VerilogNames"/> and
/// <see cref="Numbers"/>; the units follow the SPICE deck (device current in A = C * Vscale / time_unit * g).
/// </summary>
public sealed class VerilogAmsEmitter(TemplateSet? templates = null) : Netlister(templates)
{
    protected override ExpressionSyntax Syntax => VerilogAExpressionSyntax.Instance;

    public const string DevicesTemplate = "verilog-ams/devices.va.sbn";
    public const string TopTemplate = "verilog-ams/top.vams.sbn";
    public const string TestbenchTemplate = "verilog-ams/tb.vams.sbn";

    /// <summary>Writes the three files into <paramref name="outputDirectory"/>, each atomically; returns their paths.</summary>
    public IReadOnlyList<string> WriteAll(Design design, VerilogAmsOptions options, string outputDirectory)
    {
        var files = GetFileNames(design);
        var paths = new[] { files.Devices, files.Top, files.Testbench }.Select(f => Path.Combine(outputDirectory, f)).ToList();
        // Render the testbench first: it is the one that validates the input, so bad input writes nothing.
        var testbench = new StringWriter { NewLine = "\n" };
        WriteTestbench(design, options, testbench);
        AtomicFile.WriteText(paths[0], w => WriteDevices(GetModels(design), w, design.Name, trims: GetTrims(design).Count > 0));
        AtomicFile.WriteText(paths[1], w => WriteTop(design, w));
        AtomicFile.WriteAllText(paths[2], testbench.ToString());
        return paths;
    }

    public static (string Devices, string Top, string Testbench) GetFileNames(Design design)
    {
        var id = VerilogNames.Design(design.Name);
        return (id + "_devices.va", id + "_top.vams", id + "_tb.vams");
    }

    /// <summary>The Verilog-A library: <c>kh_cap</c>, <c>kh_precharge</c> and both modules of each model.</summary>
    /// <param name="trims">Add <c>kh_trim</c>, the node trim source a trimmed design's top module instantiates.</param>
    public void WriteDevices(IEnumerable<DeviceModel> models, TextWriter output, string? designName = null, bool trims = false)
    {
        var modules = new List<DeviceModule>();
        foreach (var m in models)
        {
            string vs = "(V(src) / vscale)", vd = "(V(dst) / vscale)";
            var parameters = ParameterNames(m);
            var current = "k * " + Syntax.Render(m.Law, vs, vd, parameters);
            var equation = VerilogNames.Comment(m.Equation);
            modules.Add(new DeviceModule(VerilogNames.Device(m.Name, gated: false), $"{m.Name}: I(src, dst) = k * ({equation})",
                false, parameters, current));
            modules.Add(new DeviceModule(VerilogNames.Device(m.Name, gated: true), $"{m.Name}, phase-gated: conducts while V(ph) > 0.5",
                true, parameters, $"V(ph) > 0.5 ? {current} : 0.0"));
        }
        Templates.Render(DevicesTemplate, new { Design = VerilogNames.Comment(designName), Modules = modules, Trims = trims }, output);
    }

    /// <summary>The structural top module: ports n1..nN then ph0..ph(L-1).</summary>
    public VerilogAmsSummary WriteTop(Design design, TextWriter output)
    {
        var units = design.Units;
        var nodes = Enumerable.Range(1, design.NodeCount).Select(VerilogNames.Net).ToList();
        var phases = Enumerable.Range(0, design.Layers.Count).Select(Names.Phase).ToList();
        var banks = design.Layers.Select((layer, li) => new Bank(
            $"layer {Numbers.Format(li)}: t = [{Numbers.Format(layer.TStart)}, {Numbers.Format(layer.TEnd)}] model units, " +
            $"{Numbers.Format(layer.Edges.Count)} {VerilogNames.Comment(layer.Model.Name)} devices, gated by {Names.Phase(li)}",
            InstanceBlocks(layer, li))).ToList();
        var model = new
        {
            Design = VerilogNames.Comment(design.Name),
            Module = VerilogNames.TopModule(design.Name),
            DevicesFile = GetFileNames(design).Devices,
            Nodes = design.NodeCount,
            Devices = design.DeviceCount,
            Layers = design.Layers.Count,
            Ports = Wrap(nodes.Concat(phases)),
            NodeNets = Wrap(nodes),
            PhaseNets = Wrap(phases),
            Ground = VerilogNames.Ground,
            Capacitance = Numbers.Format(units.Capacitance),
            TimeUnit = Numbers.Format(units.TimeUnit),
            VoltageScale = Numbers.Format(units.VoltageScale),
            Capacitors = Enumerable.Range(1, design.NodeCount).Select(k => $"C{Numbers.Format(k)} ({VerilogNames.Net(k)}, {VerilogNames.Ground})"),
            Banks = banks,
            Trims = GetTrims(design).SelectMany(t => Enumerable.Range(0, design.Layers.Count).Select(li =>
                $"kh_trim #(.t({Numbers.Format(t.Current)}), .k(k)) T{Numbers.Format(t.Node)}_{Numbers.Format(li)} ({VerilogNames.Net(t.Node)}, {Names.Phase(li)});")).ToList(),
        };
        Templates.Render(TopTemplate, model, output);
        return new VerilogAmsSummary(design.NodeCount + 1 + design.Layers.Count, design.NodeCount + design.DeviceCount);
    }

    /// <summary>
    /// The bank's instance lines in blocks of <see cref="BlockLines"/> (text without the final newline), built as
    /// the template asks for them: mnist never holds its 460k lines at once, and Scriban loops per block, not per line.
    /// </summary>
    private static IEnumerable<string> InstanceBlocks(Layer layer, int li)
    {
        var module = VerilogNames.Device(layer.Model.Name, gated: true);
        var names = ParameterNames(layer.Model);
        string prefix = ") L" + Numbers.Format(li) + "_", phase = ", " + Names.Phase(li) + ");";
        int count = layer.Edges.Count;
        var sb = new StringBuilder(BlockLines * 128);
        for (int start = 0; start < count; start += BlockLines)
        {
            sb.Clear();
            for (int e = start; e < Math.Min(count, start + BlockLines); e++)
            {
                if (e > start) sb.Append('\n');
                sb.Append("  ").Append(module).Append(" #(");
                for (int i = 0; i < names.Count; i++)
                    sb.Append('.').Append(names[i]).Append('(').Append(Numbers.Format(layer.Theta[i * count + e])).Append("), ");
                sb.Append(".k(k), .vscale(vscale)").Append(prefix).Append(Numbers.Format(e))
                  .Append(" (").Append(VerilogNames.Net(layer.Edges.Source[e])).Append(", ")
                  .Append(VerilogNames.Net(layer.Edges.Destination[e])).Append(phase);
            }
            yield return sb.ToString();
        }
    }

    private const int BlockLines = 1024;

    /// <summary>
    /// The testbench: every node is precharged to its input voltage by a closed <c>kh_precharge</c> switch (exact at
    /// the DC operating point, where all banks are off and every node sees only its capacitor and the switch);
    /// at <c>t0</c> the switches open and the first bank connects, so model time T is t0 + T * time_unit.
    /// </summary>
    /// <returns>The read-out time in seconds.</returns>
    public double WriteTestbench(Design design, VerilogAmsOptions options, TextWriter output)
    {
        if (design.Layers.Count == 0) throw new KirchhoffHwException("<design>", "the design has no layers: nothing to simulate");
        var units = design.Units;
        var state = GetInitialState(design, options.Input);
        double tau = units.TimeUnit;
        double edge = GetPhaseEdge(design, options.PhaseEdge);
        if (!(edge > 0) || !double.IsFinite(edge))
            throw new KirchhoffHwException("<options>", $"phase edge {options.PhaseEdge} must be a positive number of model time units");
        double t0 = edge, tRead = t0 + design.TEnd * tau;
        // Charge to within e^-100 of the input in t0 even if a simulator skipped the operating point.
        double g = 100 * units.Capacitance / t0;

        var events = new SortedDictionary<double, List<string>> { [0] = ["pre_level = 0.0;"] };
        void At(double t, string assignment)
        {
            if (!events.TryGetValue(t, out var list)) events[t] = list = [];
            list.Add(assignment);
        }
        foreach (var window in GetPhaseWindows(design))
        {
            At(window.Start, $"{Names.Phase(window.Layer)}_level = 1.0;");
            if (window.SwitchesOff) At(window.End, $"{Names.Phase(window.Layer)}_level = 0.0;");
        }

        var phases = Enumerable.Range(0, design.Layers.Count).Select(Names.Phase).ToList();
        var nodes = Enumerable.Range(1, design.NodeCount).Select(VerilogNames.Net).ToList();
        var model = new
        {
            Design = VerilogNames.Comment(design.Name),
            Module = VerilogNames.TestbenchModule(design.Name),
            Top = VerilogNames.TopModule(design.Name),
            DevicesFile = GetFileNames(design).Devices,
            TopFile = GetFileNames(design).Top,
            NodeNets = Wrap(nodes),
            PhaseNets = Wrap(phases),
            Levels = Wrap(phases.Select(p => p + "_level").Prepend("pre_level")),
            Ports = Wrap(nodes.Concat(phases)),
            Edge = Numbers.Format(edge),
            ReleaseTime = Numbers.Format(t0),
            ReadoutTime = Numbers.Format(tRead),
            VoltageScale = Numbers.Format(units.VoltageScale),
            Precharges = Enumerable.Range(1, design.NodeCount).Select(k =>
                $"kh_precharge #(.v({Numbers.Format(state[k - 1] * units.VoltageScale)}), .g({Numbers.Format(g)})) P{Numbers.Format(k)} ({VerilogNames.Net(k)}, pre);"),
            Phases = phases,
            Events = events.Select(kv => new PhaseEvent(
                Numbers.Format(t0 + kv.Key * tau - edge / 2), Numbers.Format(t0 + kv.Key * tau), Numbers.Format(kv.Key), kv.Value)).ToList(),
            Outputs = design.OutputNodes.Select(VerilogNames.Net).ToList(),
        };
        Templates.Render(TestbenchTemplate, model, output);
        return tRead;
    }

    public string FormatDevices(IEnumerable<DeviceModel> models, string? designName = null, bool trims = false) =>
        Capture(w => WriteDevices(models, w, designName, trims));

    public string FormatTop(Design design) => Capture(w => WriteTop(design, w));

    public string FormatTestbench(Design design, VerilogAmsOptions options) => Capture(w => WriteTestbench(design, options, w));

    private static List<string> ParameterNames(DeviceModel model) => model.ParameterNames.Select(n => Names.Identifier(n)).ToList();

    /// <summary>Comma-separated names, sixteen to a line, so port lists of mnist's 836 nets stay readable.</summary>
    private static string Wrap(IEnumerable<string> names) =>
        string.Join(",\n    ", names.Chunk(16).Select(c => string.Join(", ", c)));

    // Template models: every field is finished text.
    private sealed record DeviceModule(string Name, string Comment, bool Gated, List<string> Parameters, string Current);
    private sealed record Bank(string Comment, IEnumerable<string> Blocks);
    private sealed record PhaseEvent(string TimerAt, string SwitchAt, string ModelTime, List<string> Assignments);
}
