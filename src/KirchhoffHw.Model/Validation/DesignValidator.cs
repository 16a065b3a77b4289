namespace KirchhoffHw.Model.Validation;

/// <summary>
/// Checks a design as a whole and collects every violation (bad node, non-finite parameter, overlapping
/// slices) instead of stopping at the first, so a user sees all problems of a design at once.
/// </summary>
public static class DesignValidator
{
    /// <summary>Reported per kind of problem at most this many times per layer; the rest are counted.</summary>
    private const int MaxPerKind = 10;

    public static IReadOnlyList<Diagnostic> Check(Design design, string file)
    {
        var where = new SourceLocation(file);
        var found = new List<Diagnostic>();
        void Add(string message) => found.Add(new Diagnostic(where, message));

        if (design.NodeCount < 1) Add($"design has {design.NodeCount} nodes; it needs at least one besides ground");
        else if (DesignSize.CheckNodes(design.NodeCount) is { } tooMany) Add(tooMany);
        if (design.Layers.Count == 0) Add("design has no layers");
        foreach (var p in design.Units.Problems()) Add(p);
        if (design.Input.Width < 0 || design.Input.Width > design.NodeCount)
            Add($"input width {design.Input.Width} does not fit the {design.NodeCount} nodes");
        if (design.Readout.Kind != ReadoutKind.All && (design.Readout.Count < 1 || design.Readout.Count > design.NodeCount))
            Add($"read-out {design.Readout} does not fit the {design.NodeCount} nodes");

        if (design.NodeTrims is { } trims)
            for (int k = 0; k < trims.Length; k++)
                if (!double.IsFinite(trims[k])) Add($"node {k + 1}: trim current is {trims[k]}; trims must be finite");

        for (int li = 0; li < design.Layers.Count; li++)
        {
            var layer = design.Layers[li];
            string name = $"layer {li}";
            if (!(double.IsFinite(layer.TStart) && double.IsFinite(layer.TEnd) && layer.TEnd > layer.TStart))
                Add($"{name}: time slice [{layer.TStart}, {layer.TEnd}] must be finite and end after it starts");
            if (li > 0 && layer.TStart < design.Layers[li - 1].TEnd)
                Add($"{name}: starts at {layer.TStart}, before layer {li - 1} ends at {design.Layers[li - 1].TEnd}");

            int bad = 0;
            var e = layer.Edges;
            for (int k = 0; k < e.Count; k++)
            {
                int s = e.Source[k], d = e.Destination[k];
                string? why = s < 0 || s > design.NodeCount ? $"source node {s}"
                    : d < 0 || d > design.NodeCount ? $"destination node {d}" : null;
                if (why is null) continue;
                if (bad++ < MaxPerKind) Add($"{name}, device {k}: {why} is not defined (nodes are 0..{design.NodeCount}, 0 is ground)");
            }
            if (bad > MaxPerKind) Add($"{name}: {bad - MaxPerKind} more devices with undefined nodes");

            bad = 0;
            int edges = e.Count;
            for (int i = 0; i < layer.Theta.Length; i++)
            {
                if (double.IsFinite(layer.Theta[i])) continue;
                if (bad++ < MaxPerKind)
                    Add($"{name}, device {i % Math.Max(edges, 1)}: parameter {layer.Model.ParameterNames[i / Math.Max(edges, 1)]} is {layer.Theta[i]}; parameters must be finite");
            }
            if (bad > MaxPerKind) Add($"{name}: {bad - MaxPerKind} more non-finite parameters");
        }
        return found;
    }

    /// <summary>Throws one exception carrying every violation, or returns the design unchanged.</summary>
    public static Design Require(Design design, string file)
    {
        var found = Check(design, file);
        if (found.Count > 0) throw new KirchhoffHwException(found);
        return design;
    }
}
