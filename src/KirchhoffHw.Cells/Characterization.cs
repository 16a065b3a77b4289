using System.Diagnostics;
using System.Text.Json;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Generate.Templating;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Simulate;
using KirchhoffHw.Simulate.Ngspice;

namespace KirchhoffHw.Cells;

/// <summary>
/// The measured DC transfer of a unit cell (bias <see cref="CellSizing.UnitCurrent"/>): output currents per unit
/// bias against the differential gate voltage y, with the outputs held at several voltages.
/// </summary>
/// <param name="Y">Differential gate voltage (V), ascending.</param>
/// <param name="OutputVolts">The output voltages of the copies.</param>
/// <param name="To">[copy][i]: current into `to` / unit current.</param>
/// <param name="From">[copy][i]: current out of `from` / unit current.</param>
public sealed record Characterization(Topology Topology, string Tech, string Corner, double[] Y, double[] OutputVolts,
    double[][] To, double[][] From, double Seconds, bool FromCache)
{
    /// <summary>The copy with outputs at 0 V (mid-rail: where the circuit's node voltages centre).</summary>
    public int Centre => Array.IndexOf(OutputVolts, 0.0);

    /// <summary>The cell's shape: mean of the two outputs at 0 V (they differ by the mirrors' mismatch).</summary>
    public double[] Shape => Y.Select((_, i) => 0.5 * (To[Centre][i] + From[Centre][i])).ToArray();
}

/// <summary>
/// Runs the characterization sweeps in ngspice (the batch backend, through the Simulate stage) and caches them
/// on disk by (cell, technology fingerprint, corner), so a rerun does not repeat them.
/// </summary>
public sealed class Characterizer(Technology tech, string? cacheDir = null, TemplateSet? templates = null, Func<ISpiceSimulator>? simulators = null)
{
    public const double SweepVolts = 0.4;
    public static readonly double[] OutputVolts = [-0.3, -0.15, 0.0, 0.15, 0.3];

    private readonly TemplateSet _templates = templates ?? TemplateSet.Default;
    private readonly Func<ISpiceSimulator> _simulators = simulators ?? (() => new NgspiceBatch());

    /// <summary>`KIRCHHOFFHW_CACHE` if set, else ~/.cache/kirchhoffhw (XDG_CACHE_HOME honoured).</summary>
    public string CacheDir { get; } = cacheDir ?? DefaultCacheDir();

    public static string DefaultCacheDir()
    {
        if (Environment.GetEnvironmentVariable("KIRCHHOFFHW_CACHE") is { Length: > 0 } env) return env;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(xdg is { Length: > 0 } ? xdg : Path.Combine(home, ".cache"), "kirchhoffhw");
    }

    public string CachePath(Topology t) =>
        Path.Combine(CacheDir, "cells", $"{t.ToString().ToLowerInvariant()}-{Names.Identifier(tech.Name)}-{Names.Identifier(tech.Corner)}-{tech.Fingerprint()}.json");

    public Characterization Get(Topology topology, bool useCache = true)
    {
        var path = CachePath(topology);
        if (useCache && File.Exists(path))
        {
            try { return Read(path); }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException) { } // a damaged cache entry is redone
        }
        var c = Run(topology);
        AtomicFile.WriteText(path, w => w.Write(JsonSerializer.Serialize(c)));
        return c;
    }

    private Characterization Run(Topology topology)
    {
        var clock = Stopwatch.StartNew();
        var deck = new StringWriter { NewLine = "\n" };
        var cell = CellName(topology);
        var model = new Dictionary<string, object>(CellTemplates.Common(tech))
        {
            ["cell"] = cell,
            ["cell_template"] = CellTemplates.TemplateOf(topology),
            ["ota_name"] = CellName(Topology.Ota),
            ["rect_name"] = CellName(Topology.Rectifier),
            ["vdd"] = Numbers.Format(tech.Vdd),
            ["vss"] = Numbers.Format(tech.Vss),
            ["sweep_from"] = Numbers.Format(-SweepVolts),
            ["sweep_to"] = Numbers.Format(SweepVolts),
            ["outputs"] = OutputVolts.Select((v, i) => new Dictionary<string, object> { ["index"] = Numbers.Format(i), ["volts"] = Numbers.Format(v) }).ToList(),
        };
        _templates.Render(CellTemplates.Characterize, model, deck);
        var vectors = new List<string>();
        for (int i = 0; i < OutputVolts.Length; i++) { vectors.Add($"i(vt{i})"); vectors.Add($"i(vf{i})"); }
        using var sim = _simulators();
        var result = sim.Run(new SimulationRequest(deck.ToString(), vectors, TimeSpan.FromMinutes(5)));
        if (!result.IsOk)
            throw new KirchhoffHwException(tech.File, $"characterizing {cell} failed in ngspice: {result.Status}: {result.Message}");
        double iu = tech.Cells.UnitCurrent;
        // time runs 0..1 s while y ramps -Sweep..+Sweep
        var y = result.Time.Select(t => -SweepVolts + 2 * SweepVolts * t).ToArray();
        var to = OutputVolts.Select((_, i) => result.Vectors[$"i(vt{i})"].Select(v => v / iu).ToArray()).ToArray();
        var from = OutputVolts.Select((_, i) => result.Vectors[$"i(vf{i})"].Select(v => -v / iu).ToArray()).ToArray();
        return new Characterization(topology, tech.Name, tech.Corner, y, OutputVolts, to, from, clock.Elapsed.TotalSeconds, false);
    }

    private static Characterization Read(string path)
    {
        var c = JsonSerializer.Deserialize<Characterization>(File.ReadAllText(path)) ?? throw new JsonException("empty");
        if (c.Y.Length < 10 || c.To.Length != c.OutputVolts.Length) throw new JsonException("incomplete");
        return c with { FromCache = true, Seconds = 0 };
    }

    public static string CellName(Topology t) => t == Topology.Ota ? "kh_ota" : "kh_rect";
}

/// <summary>Names and numbers the cell templates share, computed once from the technology.</summary>
internal static class CellTemplates
{
    public const string Characterize = "spice/cells/characterize.sbn";
    public static string TemplateOf(Topology t) => t == Topology.Ota ? "ota.sbn" : "rect.sbn";

    public static Dictionary<string, object> Common(Technology tech) => new()
    {
        ["tech_name"] = Names.CommentText(tech.Name),
        ["tech_corner"] = Names.CommentText(tech.Corner),
        ["tech_source"] = Names.CommentText(tech.Source),
        ["model_line"] = ModelLine(tech),
        ["nmos"] = tech.Models.Nmos,
        ["pmos"] = tech.Models.Pmos,
        ["length"] = Numbers.Format(tech.Cells.Length),
        ["unit_current"] = Numbers.Format(tech.Cells.UnitCurrent),
        ["nmos_width"] = Numbers.Format(tech.Cells.NmosWidth),
        ["pmos_width"] = Numbers.Format(tech.Cells.PmosWidth),
        ["common_mode"] = Numbers.Format(tech.Cells.InputCommonMode),
    };

    /// <summary>`.include "path"` or `.lib "path" section`. The path was checked at load (printable, no quotes) and is quoted here.</summary>
    public static string ModelLine(Technology tech) => tech.Models.Section is { } s
        ? $".lib \"{tech.Models.Path}\" {s}"
        : $".include \"{tech.Models.Path}\"";
}
