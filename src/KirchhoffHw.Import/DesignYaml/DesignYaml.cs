using System.Globalization;
using System.Text.RegularExpressions;
using KirchhoffHw.Import.Yaml;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;
using KirchhoffHw.Model.IO;
using YamlDotNet.Core.Events;

namespace KirchhoffHw.Import;

/// <summary>
/// Our own design file (format version 1, documented in designs/README.md). Device rows are streamed straight
/// from parser events into arrays, never built as a tree, so a 460,000-device design reads in about a second and
/// every error still carries file:line:column. Writing formats each row by hand with round-trip ("R") numbers,
/// so Save then Load gives back bit-identical parameters.
/// </summary>
public static partial class DesignYaml
{
    public const int FormatVersion = 1;
    private const int MaxProblems = 20;

    /// <summary>
    /// Memory per byte of design file: a row such as `- [1, 2, 0.1, 0.2, 0.3]` of ~30 bytes holds five values read
    /// into a list and copied into the layer's arrays, plus its location.
    /// </summary>
    private const int DesignExpansion = 6;

    public static Design Load(string path)
    {
        using var reader = InputFile.OpenText(path, "design file", DesignExpansion);
        return Parse(reader, path);
    }

    public static Design Parse(string text, string fileName) => Parse(new StringReader(text), fileName);

    public static void Save(Design design, string path) => AtomicFile.WriteText(path, w => Write(design, w));

    public static void Write(Design design, TextWriter writer)
    {
        var w = writer;
        w.Write($"kirchhoffhw: {FormatVersion}\n");
        w.Write($"name: {Quote(design.Name)}\n");
        w.Write($"nodes: {design.NodeCount.ToString(CultureInfo.InvariantCulture)}\n");
        w.Write($"task: {TaskName(design.Task)}\n");
        w.Write($"input: {{width: {design.Input.Width.ToString(CultureInfo.InvariantCulture)}, fill: {(design.Input.Fill == FillMode.Zeros ? "zeros" : "repeat")}}}\n");
        w.Write($"readout: {design.Readout}\n");
        var u = design.Units;
        w.Write($"units: {{capacitance: {R(u.Capacitance)}, time_unit: {R(u.TimeUnit)}, voltage_scale: {R(u.VoltageScale)}}}\n");
        if (design.Layers.Count == 0)
        {
            w.Write("layers: []\n");
            return;
        }
        w.Write("layers:\n");
        // Rows go through one char buffer: a TextWriter call per number made mnist's export several times slower.
        var buf = new char[1 << 16];
        int len = 0;
        foreach (var layer in design.Layers)
        {
            w.Write($"  - t: [{R(layer.TStart)}, {R(layer.TEnd)}]\n");
            w.Write($"    model: {layer.Model.Name}\n");
            int edges = layer.Edges.Count, rows = layer.Model.ParameterCount;
            if (edges == 0)
            {
                w.Write("    devices: []\n");
                continue;
            }
            w.Write("    devices:\n");
            var theta = layer.Theta;
            for (int e = 0; e < edges; e++)
            {
                if (len > buf.Length - 512)
                {
                    w.Write(buf, 0, len);
                    len = 0;
                }
                Append(buf, ref len, "      - [");
                Append(buf, ref len, layer.Edges.Source[e]);
                Append(buf, ref len, ", ");
                Append(buf, ref len, layer.Edges.Destination[e]);
                for (int p = 0; p < rows; p++)
                {
                    Append(buf, ref len, ", ");
                    theta[p * edges + e].TryFormat(buf.AsSpan(len), out int n, "R", CultureInfo.InvariantCulture);
                    len += n;
                }
                Append(buf, ref len, "]\n");
            }
            w.Write(buf, 0, len);
            len = 0;
        }
    }

    private static void Append(char[] buf, ref int len, string s)
    {
        s.CopyTo(buf.AsSpan(len));
        len += s.Length;
    }

    private static void Append(char[] buf, ref int len, int v)
    {
        v.TryFormat(buf.AsSpan(len), out int n, default, CultureInfo.InvariantCulture);
        len += n;
    }

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string TaskName(TaskKind t) => t.ToString().ToLowerInvariant();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.-]*\z")]
    private static partial Regex PlainName();

    /// <summary>
    /// A plain scalar when the name reads back as that same string, else a double-quoted one in which everything
    /// outside YAML's printable set is an escape: C0 and C1 controls, DEL, and the characters YAML reads as
    /// line breaks (U+0085, U+2028, U+2029), which raw inside quotes would fold into a space or fail to parse.
    /// A lone surrogate is not Unicode and no YAML reader takes it back: it is written as U+FFFD, as any UTF-8
    /// writer would.
    /// </summary>
    internal static string Quote(string s)
    {
        if (PlainName().IsMatch(s) && !Y.TryDouble(s, out _) && !Y.TryInteger(s, out _)
            && s.ToLowerInvariant() is not ("true" or "false" or "null" or "yes" or "no" or "on" or "off" or "y" or "n" or "~"))
            return s;
        var sb = new System.Text.StringBuilder("\"");
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                sb.Append(c).Append(s[++i]);
                continue;
            }
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                '\u0085' => "\\N",
                '\u2028' => "\\L",
                '\u2029' => "\\P",
                _ when char.IsSurrogate(c) => "\\uFFFD",
                < ' ' or (>= '\u007f' and <= '\u009f') => $"\\x{(int)c:x2}",
                '\ufeff' or '\ufffe' or '\uffff' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }

    /// <summary>A layer as read, checked once the whole document (node count, model) is known.</summary>
    private sealed class RawLayer(SourceLocation at)
    {
        public SourceLocation At { get; } = at;
        public YNode? T;
        public YScalar? Model;
        public readonly List<double> Values = [];
        public readonly List<int> RowStart = [];
        public readonly List<SourceLocation> RowAt = [];
        public SourceLocation? DevicesAt;
    }

    private static Design Parse(TextReader text, string file)
    {
        var r = new YamlEventReader(text, file);
        if (r.Current is not MappingStart) throw new KirchhoffHwException(r.At(r.Current), "a design must be a mapping of keys such as kirchhoffhw, nodes and layers");
        var rootAt = r.At(r.Current);
        r.Next();
        var top = new Dictionary<string, YNode>(StringComparer.Ordinal);
        List<RawLayer>? rawLayers = null;
        SourceLocation layersAt = rootAt;
        var problems = new List<Diagnostic>();
        while (r.Current is not MappingEnd)
        {
            var key = r.ReadKey();
            if (top.ContainsKey(key.Value) || (key.Value == "layers" && rawLayers is not null))
                throw new KirchhoffHwException(key.At, $"duplicate key '{key.Value}'");
            switch (key.Value)
            {
                case "layers":
                    layersAt = r.At(r.Current);
                    rawLayers = ReadLayers(r, problems);
                    break;
                case "kirchhoffhw" or "name" or "nodes" or "task" or "input" or "readout" or "units":
                    top[key.Value] = r.ReadNode();
                    break;
                default:
                    throw new KirchhoffHwException(key.At, $"unknown key '{key.Value}'; a design has kirchhoffhw, name, nodes, task, input, readout, units and layers");
            }
        }
        r.Next();
        r.ExpectEnd();

        var root = new YMapping(rootAt, []);
        var versionNode = top.GetValueOrDefault("kirchhoffhw")
            ?? throw new KirchhoffHwException(rootAt, "missing key 'kirchhoffhw' (the format version, 1)");
        if (Y.Integer(versionNode, "kirchhoffhw") != FormatVersion)
            throw Y.Error(versionNode, $"format version {Y.String(versionNode, "kirchhoffhw")} is not supported; this reader knows version {FormatVersion}");
        var nodesNode = top.GetValueOrDefault("nodes") ?? throw new KirchhoffHwException(rootAt, "missing key 'nodes' (the number of nodes besides ground)");
        int nodes = Y.Int(nodesNode, "nodes", 1);
        if (Model.Validation.DesignSize.CheckNodes(nodes) is { } tooMany) throw Y.Error(nodesNode, tooMany);
        if (rawLayers is null) throw new KirchhoffHwException(rootAt, "missing key 'layers'");

        string name = top.TryGetValue("name", out var nameNode) ? Y.String(nameNode, "name") : Path.GetFileNameWithoutExtension(file);
        var task = top.TryGetValue("task", out var taskNode)
            ? Y.String(taskNode, "task") switch
            {
                "regression" => TaskKind.Regression,
                "classification" => TaskKind.Classification,
                "generation" => TaskKind.Generation,
                var t => throw Y.Error(taskNode, $"task '{t}' is not one of regression, classification, generation"),
            }
            : TaskKind.Regression;
        var input = top.TryGetValue("input", out var inputNode) ? ReadInput(inputNode) : new InputMap(nodes);
        var readout = Readout.AllNodes;
        if (top.TryGetValue("readout", out var readoutNode))
            readout = Readout.TryParse(Y.String(readoutNode, "readout"))
                ?? throw Y.Error(readoutNode, $"readout '{Y.String(readoutNode, "readout")}' is not all, firstN or lastN");
        var units = top.TryGetValue("units", out var unitsNode) ? ReadUnits(unitsNode) : Units.Paper;
        if (input.Width > nodes && inputNode is not null) problems.Add(new Diagnostic(inputNode.At, $"input width {input.Width} is more than the {nodes} nodes"));
        if (readout.Kind != ReadoutKind.All && readout.Count > nodes && readoutNode is not null)
            problems.Add(new Diagnostic(readoutNode.At, $"readout {readout} reads more than the {nodes} nodes"));
        if (rawLayers.Count == 0) problems.Add(new Diagnostic(layersAt, "a design needs at least one layer"));

        var layers = new List<Layer>();
        for (int li = 0; li < rawLayers.Count; li++)
            if (BuildLayer(rawLayers[li], li, nodes, problems) is { } layer) layers.Add(layer);
        for (int li = 1; li < layers.Count && layers.Count == rawLayers.Count; li++)
            if (layers[li].TStart < layers[li - 1].TEnd)
                problems.Add(new Diagnostic(rawLayers[li].T!.At, $"layer {li} starts at {R(layers[li].TStart)}, before layer {li - 1} ends at {R(layers[li - 1].TEnd)}"));
        if (problems.Count > 0) throw new KirchhoffHwException(problems.Take(MaxProblems).ToList());
        return new Design(name, nodes, layers, input, readout, units, task);
    }

    private static InputMap ReadInput(YNode node)
    {
        var map = Y.Mapping(node, "input");
        CheckKeys(map, "input", "width", "fill");
        int width = map["width"] is { } w ? Y.Int(w, "input width", 0) : throw Y.Error(map, "input needs a width");
        var fill = map["fill"] is not { } f ? FillMode.Zeros : Y.String(f, "input fill") switch
        {
            "zeros" => FillMode.Zeros,
            "repeat" => FillMode.Repeat,
            var s => throw Y.Error(f, $"input fill '{s}' is not zeros or repeat"),
        };
        return new InputMap(width, fill);
    }

    private static Units ReadUnits(YNode node)
    {
        var map = Y.Mapping(node, "units");
        CheckKeys(map, "units", "capacitance", "time_unit", "voltage_scale");
        double Get(string key) => map[key] is { } v ? Y.Double(v, $"units {key}") : 1.0;
        var units = new Units(Get("capacitance"), Get("time_unit"), Get("voltage_scale"));
        var problem = units.Problems().FirstOrDefault();
        return problem is null ? units : throw Y.Error(map, problem);
    }

    private static void CheckKeys(YMapping map, string what, params string[] known)
    {
        foreach (var (k, _) in map.Entries)
            if (!known.Contains(k.Value)) throw Y.Error(k, $"unknown key '{k.Value}' in {what}; expected {string.Join(", ", known)}");
    }

    private static List<RawLayer> ReadLayers(YamlEventReader r, List<Diagnostic> problems)
    {
        if (r.Current is not SequenceStart) throw new KirchhoffHwException(r.At(r.Current), "layers must be a list");
        r.Next();
        var layers = new List<RawLayer>();
        while (r.Current is not SequenceEnd)
        {
            int index = layers.Count;
            if (r.Current is not MappingStart) throw new KirchhoffHwException(r.At(r.Current), $"layer {index} must be a mapping with t, model and devices");
            var layer = new RawLayer(r.At(r.Current));
            r.Next();
            while (r.Current is not MappingEnd)
            {
                var key = r.ReadKey();
                switch (key.Value)
                {
                    case "t" when layer.T is null: layer.T = r.ReadNode(); break;
                    case "model" when layer.Model is null: layer.Model = Y.Scalar(r.ReadNode(), $"layer {index} model"); break;
                    case "devices" when layer.DevicesAt is null:
                        layer.DevicesAt = r.At(r.Current);
                        ReadDevices(r, layer, index, problems);
                        break;
                    case "t" or "model" or "devices": throw new KirchhoffHwException(key.At, $"duplicate key '{key.Value}' in layer {index}");
                    default: throw new KirchhoffHwException(key.At, $"unknown key '{key.Value}' in layer {index}; a layer has t, model and devices");
                }
            }
            r.Next();
            layers.Add(layer);
        }
        r.Next();
        return layers;
    }

    /// <summary>Streams `[source, destination, p0, p1, ...]` rows; nodes must be integers, parameters finite.</summary>
    private static void ReadDevices(YamlEventReader r, RawLayer layer, int li, List<Diagnostic> problems)
    {
        if (r.Current is not SequenceStart) throw new KirchhoffHwException(r.At(r.Current), $"layer {li} devices must be a list of rows [source, destination, p0, ...]");
        r.Next();
        while (r.Current is not SequenceEnd)
        {
            int device = layer.RowStart.Count;
            var rowAt = r.At(r.Current);
            if (r.Current is not SequenceStart)
                throw new KirchhoffHwException(rowAt, $"layer {li}, device {device}: a device is a row [source, destination, p0, ...]");
            r.Next();
            layer.RowStart.Add(layer.Values.Count);
            layer.RowAt.Add(rowAt);
            int column = 0;
            while (r.Current is not SequenceEnd)
            {
                if (r.Current is not Scalar s)
                    throw new KirchhoffHwException(r.At(r.Current), $"layer {li}, device {device}: row entries must be numbers");
                var at = r.At(s);
                if (column < 2)
                {
                    if (!Y.TryInteger(s.Value, out long node) || node is < int.MinValue or > int.MaxValue)
                        throw new KirchhoffHwException(at, $"layer {li}, device {device}: {(column == 0 ? "source" : "destination")} node '{s.Value}' is not an integer");
                    layer.Values.Add(node);
                }
                else
                {
                    if (!Y.TryDouble(s.Value, out double v))
                        throw new KirchhoffHwException(at, $"layer {li}, device {device}: parameter {column - 2} '{s.Value}' is not a number");
                    if (!double.IsFinite(v) && problems.Count < MaxProblems)
                        problems.Add(new Diagnostic(at, $"layer {li}, device {device}: parameter {column - 2} is {s.Value}; parameters must be finite"));
                    layer.Values.Add(v);
                }
                column++;
                r.Next();
            }
            r.Next();
        }
        r.Next();
    }

    private static Layer? BuildLayer(RawLayer raw, int li, int nodes, List<Diagnostic> problems)
    {
        int before = problems.Count;
        void Problem(SourceLocation at, string message) => problems.Add(new Diagnostic(at, message));
        if (raw.T is null) { Problem(raw.At, $"layer {li} needs t: [start, end]"); return null; }
        if (raw.Model is null) { Problem(raw.At, $"layer {li} needs a device model"); return null; }
        if (raw.DevicesAt is null) { Problem(raw.At, $"layer {li} needs devices (use [] for none)"); return null; }
        var tList = Y.Sequence(raw.T, $"layer {li} t");
        if (tList.Items.Count != 2) throw Y.Error(raw.T, $"layer {li} t must be [start, end]");
        double t0 = Y.Double(tList.Items[0], $"layer {li} start time"), t1 = Y.Double(tList.Items[1], $"layer {li} end time");
        if (!(double.IsFinite(t0) && double.IsFinite(t1) && t1 > t0))
            Problem(raw.T.At, $"layer {li} time slice [{R(t0)}, {R(t1)}] must be finite and end after it starts");
        var model = DeviceModels.Find(raw.Model.Value);
        if (model is null)
        {
            Problem(raw.Model.At, $"layer {li}: unknown device model '{raw.Model.Value}'; known models: {DeviceModels.Known}");
            return null;
        }

        int count = raw.RowStart.Count, width = 2 + model.ParameterCount;
        var src = new int[count];
        var dst = new int[count];
        var theta = new double[model.ParameterCount * count];
        for (int e = 0; e < count && problems.Count < MaxProblems; e++)
        {
            int start = raw.RowStart[e], end = e + 1 < count ? raw.RowStart[e + 1] : raw.Values.Count;
            if (end - start != width)
            {
                Problem(raw.RowAt[e], $"layer {li}, device {e}: row has {end - start} values but a {model.Name} device needs {width} (source, destination, {string.Join(", ", model.ParameterNames)})");
                continue;
            }
            src[e] = (int)raw.Values[start];
            dst[e] = (int)raw.Values[start + 1];
            foreach (var (node, role) in new[] { (src[e], "source"), (dst[e], "destination") })
                if (node < 0 || node > nodes)
                    Problem(raw.RowAt[e], $"layer {li}, device {e}: {role} node {node} is not defined (the design has nodes 0..{nodes}, 0 is ground)");
            for (int p = 0; p < model.ParameterCount; p++) theta[p * count + e] = raw.Values[start + 2 + p];
        }
        return problems.Count > before ? null : new Layer(t0, t1, model, new EdgeList(src, dst), theta);
    }
}
