using KirchhoffHw.Import.AuthorsConfig;
using KirchhoffHw.Import.Pth;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Model.Validation;

namespace KirchhoffHw.Import;

/// <summary>A design read from a file, with the solver tolerance its authors trained at when the file names one.</summary>
public sealed record ImportedModel(Design Design, double? Tolerance, string Source);

/// <summary>Turns an authors' checkpoint plus its config.yaml into a validated design.</summary>
public static class CheckpointImporter
{
    /// <summary>
    /// The authors' ShiftTanh1 and Conductance allocate three parameter rows but read only the first two / one,
    /// so their checkpoints carry rows our models do not have; those unused rows are accepted and dropped.
    /// </summary>
    private static readonly Dictionary<string, int> AuthorsRowCount = new() { ["ShiftTanh1"] = 3, ["Conductance"] = 3 };

    public static ImportedModel Load(string pthPath, string? configPath = null)
    {
        configPath ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(pthPath))!, "config.yaml");
        InputFile.Require(pthPath, "checkpoint file");
        if (FileKinds.Of(configPath) == FileKind.Missing)
            throw new KirchhoffHwException(configPath, $"config file not found; {Path.GetFileName(pthPath)} needs the config.yaml it was trained with to know its topology");
        var config = AuthorsConfigReader.Load(configPath);
        var tensors = PthReader.Read(pthPath);

        var problems = new List<Diagnostic>();
        var where = new SourceLocation(pthPath);
        var model = config.Model;
        var layers = new List<Layer>();
        for (int i = 0; i < config.Layers.Count; i++)
        {
            var topo = config.Layers[i];
            string key = $"circuit.layer_list.{i}.model.param";
            if (!tensors.TryGetValue(key, out var t))
            {
                problems.Add(new Diagnostic(where, $"layer {i}: state dict has no '{key}' (it holds: {Keys(tensors)})"));
                continue;
            }
            int edges = topo.Edges.Count, rows = model.ParameterCount;
            bool shapeOk = t.Shape.Length == 2 && t.Shape[1] == edges
                && (t.Shape[0] == rows || AuthorsRowCount.GetValueOrDefault(model.Name) == t.Shape[0]);
            if (!shapeOk)
            {
                problems.Add(new Diagnostic(where,
                    $"layer {i}: '{key}' has shape {t} but {model.Name} on {topo.Generator} ({edges} edges, from {topo.At}) needs ({rows}, {edges})"));
                continue;
            }
            if (t.Overlapping)
            {
                problems.Add(new Diagnostic(where, $"layer {i}: '{key}' is a view whose elements overlap (a stride of 0 or rows reading the same storage); a trained parameter tensor never is"));
                continue;
            }
            var theta = t.Shape[0] == rows ? t.Data : t.Data[..(rows * edges)];
            layers.Add(new Layer(topo.TStart, topo.TEnd, model, topo.Edges, theta));
        }
        int extra = config.Layers.Count;
        while (tensors.ContainsKey($"circuit.layer_list.{extra}.model.param")) extra++;
        if (extra > config.Layers.Count)
            problems.Add(new Diagnostic(where, $"the checkpoint has {extra} circuit layers but {configPath} describes {config.Layers.Count}"));
        if (problems.Count > 0) throw new KirchhoffHwException(problems);

        var design = new Design(config.Name, config.NodeCount, layers, config.Input, config.Readout, Units.Paper, config.Task);
        return new ImportedModel(DesignValidator.Require(design, pthPath), config.Tolerance, pthPath);
    }

    private static string Keys(IReadOnlyDictionary<string, Tensor> tensors) =>
        tensors.Count == 0 ? "no tensors" : string.Join(", ", tensors.Keys.Take(8)) + (tensors.Count > 8 ? $", ... ({tensors.Count} in all)" : "");
}
