using KirchhoffHw.Import.Yaml;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Import.AuthorsConfig;

/// <summary>One layer as the config describes it: its time slice and the edges its generator produces.</summary>
public sealed record LayerTopology(double TStart, double TEnd, string Generator, EdgeList Edges, SourceLocation At);

/// <summary>What an authors' config.yaml says about the circuit; training settings are ignored.</summary>
public sealed record AuthorsModelConfig(
    string Name,
    DeviceModel Model,
    IReadOnlyList<LayerTopology> Layers,
    int NodeCount,
    InputMap Input,
    Readout Readout,
    TaskKind Task,
    double? Tolerance,
    string File);

/// <summary>
/// Reads the authors' training configuration (zhengqigao/kirchhoffnet `src/results/&lt;name&gt;/config.yaml`) into
/// the pieces of a design. Anything without a circuit form (an MLP projector, an encoder, a residual link) is
/// refused rather than silently dropped, since the circuit would then compute something else.
/// </summary>
public static class AuthorsConfigReader
{
    private static readonly string[] GenerativeBenches =
        ["twomoon", "twomoons", "moons", "circles", "twocircles", "8gaussians", "pinwheel", "2spirals", "swissroll", "checkerboard", "rings"];

    /// <summary>Memory per byte of config: it is parsed into a tree of nodes, each a few dozen bytes.</summary>
    private const int ConfigExpansion = 64;

    public static AuthorsModelConfig Load(string path)
    {
        using var reader = Model.IO.InputFile.OpenText(path, "config file", ConfigExpansion);
        return Parse(reader, path);
    }

    public static AuthorsModelConfig Parse(string text, string fileName) => Parse(new StringReader(text), fileName);

    private static AuthorsModelConfig Parse(TextReader text, string file)
    {
        var root = Y.Mapping(YamlEventReader.ReadDocument(text, file), "the config");
        var network = Y.Mapping(Required(root, "network"), "network");

        var modelNode = Y.Mapping(Required(network, "model"), "network.model");
        var modelName = Y.Scalar(Required(modelNode, "name"), "network.model.name");
        var model = DeviceModels.Find(modelName.Value)
            ?? throw Y.Error(modelName, $"unknown device model '{modelName.Value}'; known models: {DeviceModels.Known}");
        if (modelNode["args"] is { } margs && !Y.IsNull(margs) && Y.Mapping(margs, "network.model.args").Entries.Count > 0)
            throw Y.Error(margs, $"network.model.args must be empty: {model.Name} takes no arguments");

        foreach (var key in new[] { "encoder", "residual" })
            if (network[key] is { } n && !Y.IsNull(n))
                throw Y.Error(n, $"network.{key} is set, and an {key} has no circuit form; only a bare circuit can be imported");

        var readout = ReadProjector(network["projector"]);
        var fill = FillMode.Zeros;
        if (network["fill"] is { } fillNode && !Y.IsNull(fillNode))
            fill = Y.String(fillNode, "network.fill") switch
            {
                "zeros" or "zero" => FillMode.Zeros,
                "repeat" => FillMode.Repeat,
                var f => throw Y.Error(fillNode, $"network.fill '{f}' is not supported; use zeros or repeat"),
            };

        var structs = Y.Sequence(Required(network, "net_struct"), "network.net_struct");
        if (structs.Items.Count == 0) throw Y.Error(structs, "network.net_struct has no layers");
        var simulation = Y.Mapping(Required(root, "simulation"), "simulation");
        var tEndNode = Y.Sequence(Required(simulation, "t_end"), "simulation.t_end");
        var tEnd = tEndNode.Items.Select((n, i) => Y.Double(n, $"simulation.t_end[{i}]")).ToArray();
        if (tEnd.Length != structs.Items.Count + 1)
            throw Y.Error(tEndNode, $"simulation.t_end has {tEnd.Length} boundaries but network.net_struct has {structs.Items.Count} layers; it needs {structs.Items.Count + 1}");
        double? tol = simulation["tol"] is { } tolNode && !Y.IsNull(tolNode) ? Y.Double(tolNode, "simulation.tol") : null;

        var layers = new List<LayerTopology>();
        int? pixels = null;
        for (int i = 0; i < structs.Items.Count; i++)
        {
            var (generator, edges, inputWidth) = Generate(Y.Mapping(structs.Items[i], $"network.net_struct[{i}]"), i);
            if (i == 0) pixels = inputWidth;
            layers.Add(new LayerTopology(tEnd[i], tEnd[i + 1], generator, edges, structs.Items[i].At));
        }
        int nodes = layers.Max(l => Math.Max(l.Edges.Source.DefaultIfEmpty().Max(), l.Edges.Destination.DefaultIfEmpty().Max()));

        string benchName = root["test_bench"] is YScalar { IsNull: false } bench ? bench.Value : "";
        var task = TaskOf(root, benchName);
        string name = benchName.Length > 0 ? benchName : Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(file))) ?? "model";
        return new AuthorsModelConfig(name, model, layers, nodes, new InputMap(Math.Min(pixels ?? nodes, nodes), fill), readout, task, tol, file);
    }

    private static YNode Required(YMapping map, string key) =>
        map[key] ?? throw Y.Error(map, $"missing key '{key}'");

    private static Readout ReadProjector(YNode? node)
    {
        if (Y.IsNull(node)) return Readout.AllNodes;
        if (node is YScalar s && Readout.TryParse(s.Value) is { } r) return r;
        string what = node is YScalar sc ? $"'{sc.Value}'" : node!.Kind;
        throw Y.Error(node!, $"network.projector {what} has no circuit form; only all, firstN and lastN read-outs can be imported");
    }

    private static TaskKind TaskOf(YMapping root, string bench)
    {
        if (root["test"] is YMapping test && test["metric"] is { } metric)
        {
            var names = metric is YSequence seq ? seq.Items.OfType<YScalar>().Select(x => x.Value) : metric is YScalar one ? [one.Value] : [];
            if (names.Any(n => n is "top1" or "top5")) return TaskKind.Classification;
        }
        if (root["visualization"] is not null || GenerativeBenches.Contains(bench, StringComparer.OrdinalIgnoreCase)) return TaskKind.Generation;
        return TaskKind.Regression;
    }

    /// <summary>Runs one net_struct entry's generator; also returns the image size for neighbourhood generators.</summary>
    private static (string, EdgeList, int?) Generate(YMapping entry, int index)
    {
        var nameNode = Y.Scalar(Required(entry, "name"), $"network.net_struct[{index}].name");
        foreach (var (k, _) in entry.Entries)
            if (k.Value is not ("name" or "args")) throw Y.Error(k, $"unknown key '{k.Value}' in network.net_struct[{index}]; expected name and args");
        var args = new Args(entry["args"] is { } a && !Y.IsNull(a) ? Y.Mapping(a, $"network.net_struct[{index}].args") : new YMapping(entry.At, []), nameNode.Value);
        try
        {
            (EdgeList edges, int? pixels) result = nameNode.Value switch
            {
                "_fully_connect" => (TopologyGenerators.FullyConnect(args.Int("num_node"), args.Bool("include_gnd", true), args.IntList("repeat")), null),
                "_simple_connect" => (TopologyGenerators.SimpleConnect(args.Int("num_node"), args.Bool("include_gnd", true), args.IntList("repeat")), null),
                "_neighbor_index" => Neighbor(args, false),
                "_mix_connect" => Neighbor(args, true),
                var n => throw Y.Error(nameNode, $"unknown topology generator '{n}'; known generators: {string.Join(", ", TopologyGenerators.Names)}"),
            };
            args.RejectUnused();
            return (nameNode.Value, result.edges, result.pixels);
        }
        catch (ArgumentException ex)
        {
            throw Y.Error(entry, $"{nameNode.Value}: {ex.Message.Split(" (Parameter")[0]}");
        }
    }

    private static (EdgeList, int?) Neighbor(Args a, bool mix)
    {
        int c = a.Int("num_channel"), w = a.Int("width"), h = a.Int("height"), k = a.Int("neighbor_size");
        bool padding = a.Bool("padding", false), sharing = a.Bool("sharing", false);
        int parallel = a.Int("parallel", 1);
        var edges = mix
            ? TopologyGenerators.MixConnect(c, w, h, k, a.Int("fully_connect_node"), a.IntList("repeat"), padding, a.Int("kernel_repeat", 1), sharing, parallel)
            : TopologyGenerators.NeighborIndex(c, w, h, k, padding, a.Int("repeat", 1), sharing, parallel);
        return (edges, c * w * h);
    }

    /// <summary>Keyword arguments of one generator call, checked the way Python would: missing, unknown, wrong type.</summary>
    private sealed class Args(YMapping map, string generator)
    {
        private readonly HashSet<string> _used = [];

        private YNode? Get(string name)
        {
            _used.Add(name);
            return map[name];
        }

        public int Int(string name, int? fallback = null)
        {
            var n = Get(name);
            if (n is null) return fallback ?? throw Y.Error(map, $"{generator} needs argument '{name}'");
            return Y.Int(n, $"{generator} argument {name}");
        }

        public bool Bool(string name, bool fallback) => Get(name) is { } n ? Y.Bool(n, $"{generator} argument {name}") : fallback;

        public IReadOnlyList<int>? IntList(string name)
        {
            if (Get(name) is not { } n) return null;
            return Y.Sequence(n, $"{generator} argument {name}").Items.Select(x => Y.Int(x, $"{generator} argument {name} entry")).ToArray();
        }

        public void RejectUnused()
        {
            foreach (var (k, _) in map.Entries)
                if (!_used.Contains(k.Value)) throw Y.Error(k, $"{generator} takes no argument '{k.Value}'");
        }
    }
}
