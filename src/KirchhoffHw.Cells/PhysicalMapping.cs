using System.Globalization;
using System.Text.Json;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;

namespace KirchhoffHw.Cells;

/// <summary>Per layer: how many devices need a powered cell, cannot be built as trained, or need no cell.</summary>
/// <param name="FitAboveBound">Devices whose cell as sized misses the trained law by more than <see cref="CellLibrary.FitBound"/>.</param>
/// <param name="MaxFitBoundModel">The largest of the layer's devices' fit bounds, model units.</param>
public sealed record LayerRealizability(int Layer, string Model, int Devices, int NeedActive, int Unrealizable, int Omitted,
    long Transistors, double StaticCurrent, double Area, double MaxFitErrorModel, double RmsFitErrorModel, double MaxFitErrorAmps,
    int FitAboveBound = 0, double MaxFitBoundModel = 0);

/// <summary>
/// The physical mapping of a design onto cells: per device its cell, sizes, biases and fit error (the fitted
/// cell law against the trained law over the operating range), and per layer the realizability counts. Written
/// beside each deck as CSV and JSON for layout and measurement flows.
/// </summary>
public sealed class PhysicalMapping
{
    public IReadOnlyList<LayerRealizability> Layers { get; }
    /// <summary>Largest |node voltage| (model units) over all nodes and layers.</summary>
    public double OperatingVolts { get; }
    public NodeRanges Ranges { get; }
    private readonly Design _design;
    private readonly CellLibrary _library;

    /// <param name="ranges">Largest |voltage| in model units of each node in each layer (see <see cref="OperatingRange"/>).</param>
    public PhysicalMapping(Design design, CellLibrary library, NodeRanges ranges)
    {
        _design = design;
        _library = library;
        Ranges = ranges;
        OperatingVolts = ranges.Max;
        Layers = design.Layers.Select((l, i) => Summarize(i, l)).ToList();
    }

    private double RangeOf(int li, int e, double[] p) => Lowering.DeviceRange(_design.Layers[li], e, p, Ranges.For(li));

    private const int Grid = 5;

    /// <summary>Fit error of one device, model units: the fitted cell (as built) against the trained law on a grid of (vs, vd) in the operating range.</summary>
    public (double Rms, double Max) FitError(int li, int e)
    {
        var layer = _design.Layers[li];
        var p = layer.ParametersOf(e);
        var units = _design.Units;
        double sum = 0, max = 0, range = RangeOf(li, e, p);
        int src = layer.Edges.Source[e], dst = layer.Edges.Destination[e];
        double va = Ranges.For(li)[src], vb = Ranges.For(li)[dst];
        for (int i = 0; i < Grid; i++)
            for (int j = 0; j < Grid; j++)
            {
                // each terminal over its node's own range (ground's is 0)
                double vs = -va + 2 * va * i / (Grid - 1), vd = -vb + 2 * vb * j / (Grid - 1);
                double err = _library.MacroCurrent(layer.Model, vs, vd, p, units, range) - layer.Model.Current(vs, vd, p);
                sum += err * err;
                max = Math.Max(max, Math.Abs(err));
            }
        return (Math.Sqrt(sum / (Grid * Grid)), max);
    }

    private LayerRealizability Summarize(int li, Layer layer)
    {
        var kind = CellKind.For(layer.Model);
        var units = _design.Units;
        int n = layer.Edges.Count;
        var active = new int[n]; var bad = new int[n]; var omitted = new int[n];
        var transistors = new long[n]; var current = new double[n]; var area = new double[n];
        var rms = new double[n]; var max = new double[n]; var over = new int[n]; var bound = new double[n];
        Parallel.For(0, n, e =>
        {
            var p = layer.ParametersOf(e);
            double range = RangeOf(li, e, p);
            var sizes = _library.Size(layer.Model, p, units, range);
            active[e] = CellKind.NeedsActiveCell(layer.Model, p) ? 1 : 0;
            bad[e] = sizes.Any(s => s.Problem is not null) ? 1 : 0;
            omitted[e] = sizes.All(s => s.WidthScale == 0) ? 1 : 0;
            for (int j = 0; j < sizes.Length; j++)
                if (sizes[j].WidthScale > 0) transistors[e] += kind.Parts[j].Topology.Transistors;
            current[e] = _library.BiasCurrent(layer.Model, p, units, range);
            area[e] = _library.CellArea(layer.Model, p, units, range);
            (rms[e], max[e]) = FitError(li, e);
            bound[e] = _library.FitBound(layer.Model, p, range);
            // The fit's own grid and the device's differ: 5 % of the bound is table resolution, not a misbuilt cell.
            over[e] = max[e] > FitSlack * bound[e] ? 1 : 0;
        });
        return new LayerRealizability(li, layer.Model.Name, n, active.Sum(), bad.Sum(), omitted.Sum(), transistors.Sum(), current.Sum(), area.Sum(),
            n == 0 ? 0 : max.Max(), n == 0 ? 0 : Math.Sqrt(rms.Sum(r => r * r) / n), (n == 0 ? 0 : max.Max()) * units.CurrentScale,
            over.Sum(), n == 0 ? 0 : bound.Max());
    }

    /// <summary>A device's measured fit error may exceed its bound by this factor before it counts as not built as trained.</summary>
    public const double FitSlack = 1.05;

    /// <summary>Writes `&lt;basePath&gt;.cells.csv` and `&lt;basePath&gt;.cells.json` (atomically) and returns their paths.</summary>
    public (string Csv, string Json) Write(string basePath)
    {
        string csv = basePath + ".cells.csv", json = basePath + ".cells.json";
        var units = _design.Units;
        string F(double x) => x.ToString("R", CultureInfo.InvariantCulture);
        AtomicFile.WriteText(csv, w =>
        {
            w.WriteLine("layer,device,source,destination,model,theta,cell,parts,width_scale,nmos_width_m,pmos_width_m,length_m,bias_a,required_bias_a,gain_v_per_unit,reversed,needs_active,problem,fit_rms_model,fit_max_model,fit_rms_a,fit_max_a,fit_bound_model");
            foreach (var row in Rows())
                w.WriteLine(string.Join(",", row.Layer, row.Device, row.Source, row.Destination, row.Model, string.Join(" ", row.Theta.Select(F)),
                    row.Cell, row.Sizes.Length, string.Join(" ", row.Sizes.Select(s => F(s.WidthScale))), string.Join(" ", row.Sizes.Select(s => F(s.NmosWidth))),
                    string.Join(" ", row.Sizes.Select(s => F(s.PmosWidth))), F(_library.Tech.Cells.Length), string.Join(" ", row.Sizes.Select(s => F(s.BiasCurrent))),
                    string.Join(" ", row.Sizes.Select(s => F(s.RequiredBias))), string.Join(" ", row.Sizes.Select(s => F(s.Gain))), row.Reversed ? 1 : 0, row.Active ? 1 : 0,
                    Quote(string.Join("; ", row.Sizes.Where(s => s.Problem is not null).Select(s => s.Problem))),
                    F(row.Rms), F(row.Max), F(row.Rms * units.CurrentScale), F(row.Max * units.CurrentScale), F(row.FitBound)));
        });
        AtomicFile.Write(json, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
            w.WriteStartObject();
            w.WriteString("design", _design.Name);
            w.WriteString("technology", _library.Tech.Name);
            w.WriteString("technology_source", _library.Tech.Source);
            w.WriteString("corner", _library.Tech.Corner);
            w.WriteNumber("current_scale_a", units.CurrentScale);
            w.WriteNumber("voltage_scale_v", units.VoltageScale);
            w.WriteNumber("operating_range_model", OperatingVolts);
            w.WriteStartArray("node_range_model");
            foreach (var layerRange in Ranges.ByLayer) { w.WriteStartArray(); foreach (var v in layerRange) w.WriteNumberValue(v); w.WriteEndArray(); }
            w.WriteEndArray();
            w.WriteStartArray("fits");
            foreach (var f in _library.Fits)
            {
                w.WriteStartObject();
                w.WriteString("cell", f.Topology.CellName);
                w.WriteString("operation", f.Operation.ToString().ToLowerInvariant());
                w.WriteNumber("range_model", f.Range); w.WriteNumber("gain_v_per_unit", f.Gain); w.WriteNumber("scale", f.Scale); w.WriteNumber("input_trim_v", f.Offset);
                w.WriteNumber("rms_error", f.RmsError); w.WriteNumber("max_error", f.MaxError); w.WriteNumber("output_voltage_error", f.OutputVoltageError);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("cell_figures");
            foreach (var (topology, f) in _library.Figures)
            {
                w.WriteStartObject();
                w.WriteString("cell", topology.CellName);
                w.WriteNumber("mismatch_at_balance_percent", f.MismatchAtBalancePercent); w.WriteNumber("max_mismatch_percent", f.MaxMismatchPercent);
                w.WriteNumber("to_conductance_per_volt", f.ToConductance); w.WriteNumber("from_conductance_per_volt", f.FromConductance);
                w.WriteNumber("max_to_conductance_per_volt", f.MaxToConductance); w.WriteNumber("max_from_conductance_per_volt", f.MaxFromConductance);
                w.WriteNumber("swing_v", f.SwingVolts);
                w.WriteNumber("pin_table_error", _library.PinFits.Where(p => p.Part?.Topology == topology).Select(p => p.InterpolationError).DefaultIfEmpty(0).Max());
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("layers");
            foreach (var l in Layers) JsonSerializer.Serialize(w, l);
            w.WriteEndArray();
            w.WriteStartArray("devices");
            foreach (var row in Rows())
            {
                w.WriteStartObject();
                w.WriteNumber("layer", row.Layer); w.WriteNumber("device", row.Device);
                w.WriteNumber("source", row.Source); w.WriteNumber("destination", row.Destination);
                w.WriteStartArray("theta"); foreach (var t in row.Theta) w.WriteNumberValue(t); w.WriteEndArray();
                w.WriteString("cell", row.Cell);
                w.WriteBoolean("reversed", row.Reversed); w.WriteBoolean("needs_active", row.Active);
                w.WriteStartArray("parts");
                foreach (var s in row.Sizes)
                {
                    w.WriteStartObject();
                    w.WriteNumber("width_scale", s.WidthScale); w.WriteNumber("nmos_width_m", s.NmosWidth); w.WriteNumber("pmos_width_m", s.PmosWidth);
                    w.WriteNumber("length_m", _library.Tech.Cells.Length);
                    w.WriteNumber("bias_a", s.BiasCurrent); w.WriteNumber("required_bias_a", s.RequiredBias); w.WriteNumber("gain_v_per_unit", s.Gain);
                    if (s.Problem is not null) w.WriteString("problem", s.Problem); else w.WriteNull("problem");
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteNumber("fit_rms_model", row.Rms); w.WriteNumber("fit_max_model", row.Max);
                w.WriteNumber("fit_rms_a", row.Rms * units.CurrentScale); w.WriteNumber("fit_max_a", row.Max * units.CurrentScale);
                w.WriteNumber("fit_bound_model", row.FitBound);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (RegulatedNetlist.Builds(_design)) WriteRegulated(w);
            w.WriteEndObject();
        });
        return (csv, json);
    }

    /// <summary>
    /// The transistor deck's devices built at the limit of its unit cell, when the v2 cells build the design
    /// (<see cref="RegulatedNetlist.Builds"/>): how many, and why the first; null when the v2 cells do not build it.
    /// </summary>
    public (int AtLimit, string? First)? DeckLimits() => RegulatedNetlist.Builds(_design) ? RegulatedNetlist.Limits(_design) : null;

    /// <summary>
    /// What the transistor deck (v2 cells) builds each device as: a and b as the width ratios of the copies of the
    /// source and destination nodes' driver lines, c as the ratio of node 0's line copies, the amplitude as the core's
    /// bias (or the rectifier's mirror ratio), in the unit cell the deck uses.
    /// </summary>
    private void WriteRegulated(Utf8JsonWriter w)
    {
        var unit = RegulatedFamily.Deck;
        var input = RegulatedFamily.Units.First(u => u.Name == unit.InputUnit).Input!;
        w.WriteStartObject("transistor_cells");
        w.WriteString("topology", CellTopologies.Regulated.Title);
        w.WriteString("unit", unit.Name);
        w.WriteNumber("unit_bias_a", unit.Bias);
        w.WriteNumber("copy_width_m", input.CopyWidth); w.WriteNumber("copy_length_m", input.CopyLength);
        w.WriteNumber("driver_kappa_per_v", RegulatedFamily.Characterized.Kappa);
        w.WriteNumber("line_current_a", RegulatedFamily.Characterized.LineCurrent);
        w.WriteNumber("capacitance_boost", RegulatedNetlist.CapacitanceBoost(_design));
        w.WriteStartArray("devices");
        foreach (var d in new RegulatedNetlist(_library.Tech).Map(_design))
        {
            w.WriteStartObject();
            w.WriteNumber("layer", d.Layer); w.WriteNumber("device", d.Edge); w.WriteString("kind", d.Kind);
            w.WriteNumber("a_copy_ratio", d.SourceRatio); w.WriteNumber("b_copy_ratio", d.DestinationRatio); w.WriteNumber("c_copy_ratio", d.ConstantRatio);
            w.WriteNumber("a_copy_width_m", RegulatedFamily.RatioWidth(Math.Abs(d.SourceRatio), input.CopyWidth));
            w.WriteNumber("b_copy_width_m", RegulatedFamily.RatioWidth(Math.Abs(d.DestinationRatio), input.CopyWidth));
            w.WriteNumber("bias_a", d.Bias); w.WriteNumber("scale", d.Scale);
            if (d.Problem is not null) w.WriteString("problem", d.Problem); else w.WriteNull("problem");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public sealed record Row(int Layer, int Device, int Source, int Destination, string Model, double[] Theta, string Cell,
        PartSizing[] Sizes, bool Reversed, bool Active, double Rms, double Max, double FitBound);

    /// <summary>Every device's row, in layer and device order.</summary>
    public IEnumerable<Row> Rows()
    {
        for (int li = 0; li < _design.Layers.Count; li++)
        {
            var layer = _design.Layers[li];
            var kind = CellKind.For(layer.Model);
            string cell = string.Join("+", kind.Parts.Select(p => p.Topology.CellName));
            for (int e = 0; e < layer.Edges.Count; e++)
            {
                var p = layer.ParametersOf(e);
                double range = RangeOf(li, e, p);
                var sizes = _library.Size(layer.Model, p, _design.Units, range);
                var (_, _, _, amplitude) = CellKind.AffineOf(layer.Model, p);
                var (rms, max) = FitError(li, e);
                yield return new Row(li, e, layer.Edges.Source[e], layer.Edges.Destination[e], layer.Model.Name, p, cell, sizes,
                    amplitude < 0, CellKind.NeedsActiveCell(layer.Model, p), rms, max, _library.FitBound(layer.Model, p, range));
            }
        }
    }

    private static string Quote(string s) => s.Length == 0 ? "" : "\"" + s.Replace("\"", "\"\"") + "\"";
}
