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
/// <param name="ToCapacitance">Capacitance (F) the unit cell's `to` pin adds to its node: [conducting, switched off].</param>
/// <param name="FromCapacitance">The same for `from`.</param>
/// <param name="OutputRatio">Width trim of the output mirror that balances `to` against `from` (found by the characterization).</param>
public sealed record Characterization(CellTopology Topology, string Tech, string Corner, double[] Y, double[] OutputVolts,
    double[][] To, double[][] From, double[] ToCapacitance, double[] FromCapacitance, double OutputRatio, double Seconds, bool FromCache)
{
    /// <summary>The copy with outputs at 0 V (mid-rail: where the circuit's node voltages centre).</summary>
    public int Centre => Array.IndexOf(OutputVolts, 0.0);

    /// <summary>The cell's shape: mean of the two outputs at 0 V (they differ by the mirrors' mismatch).</summary>
    public double[] Shape => Y.Select((_, i) => 0.5 * (To[Centre][i] + From[Centre][i])).ToArray();
}

/// <summary>What measures a topology in a technology; the stages take one, so a run that needs no cells can prove it asked for none.</summary>
public interface ICharacterizer
{
    Characterization Get(CellTopology topology, bool useCache = true);
}

/// <summary>
/// Runs the characterization sweeps in ngspice (the batch backend, through the Simulate stage) and caches them
/// on disk by (cell, technology fingerprint, corner), so a rerun does not repeat them.
/// </summary>
public sealed class Characterizer(Technology tech, string? cacheDir = null, TemplateSet? templates = null, Func<ISpiceSimulator>? simulators = null) : ICharacterizer
{
    public const double SweepVolts = 0.4;
    /// <summary>
    /// The voltages each copy holds its outputs at: 0 (node 0, where node voltages centre) and +-0.3, 0.6 and 0.9 of the
    /// distance to the nearer rail. The outer pair shows each pin's compliance as it nears its rail (a mirror leaving
    /// saturation), which a node driven to the rail meets; the inner ones its output conductance over the node swing.
    /// </summary>
    public double[] OutputVolts { get; } = OutputVoltsFor(tech);

    public static double[] OutputVoltsFor(Technology tech)
    {
        double half = Math.Min(tech.Vdd, -tech.Vss);
        if (!(half > 0)) throw new KirchhoffHwException(tech.File, "the rails must lie on both sides of node 0 (vss < 0 < vdd) to characterize the cells' outputs");
        double[] fractions = [-0.9, -0.6, -0.3, 0.0, 0.3, 0.6, 0.9];
        return fractions.Select(f => Math.Round(f * half, 6)).ToArray();
    }

    private readonly TemplateSet _templates = templates ?? TemplateSet.Default;
    private readonly Func<ISpiceSimulator> _simulators = simulators ?? (() => new NgspiceBatch());

    /// <summary>`KIRCHHOFFHW_CACHE` if set, else ~/.cache/kirchhoffhw (XDG_CACHE_HOME honoured).</summary>
    public string CacheDir { get; } = cacheDir ?? DefaultCacheDir();

    public static string DefaultCacheDir() => Model.IO.CacheFolder.Default();

    /// <summary>
    /// Keyed by cell, technology and corner, and by a hash of everything else that shapes a characterization:
    /// the cell templates, the sweep (input span and the output voltages the pins are held at), the ramp constants
    /// and <see cref="Method"/>, so a changed cell, sweep or trim is characterized again instead of read from a stale entry.
    /// </summary>
    public string CachePath(CellTopology t) =>
        Path.Combine(CacheDir, "cells", $"{t.Key}-{Names.Identifier(tech.Name)}-{Names.Identifier(tech.Corner)}-{tech.Fingerprint()}-{KeyHash()}.json");

    /// <summary>The characterization procedure (two-pass trim, capacitance ramp); bump it when <see cref="Run"/> changes what it measures.</summary>
    public const int Method = 2;

    private const double RampLow = -0.1, RampHigh = 0.1, RampSeconds = 1e-9;
    private const int RampSteps = 200;

    private string KeyHash()
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var dir = Path.Combine(_templates.Root, "spice", "cells");
        foreach (var f in Directory.GetFiles(dir, "*.sbn").Order(StringComparer.Ordinal))
            sha.AppendData(File.ReadAllBytes(f));
        var constants = string.Join("|", new[] { Method, SweepVolts, RampLow, RampHigh, RampSeconds, RampSteps }.Concat(OutputVolts)
            .Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes(constants));
        return Convert.ToHexString(sha.GetHashAndReset())[..12].ToLowerInvariant();
    }


    public Characterization Get(CellTopology topology, bool useCache = true)
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

    private Characterization Run(CellTopology topology)
    {
        var clock = Stopwatch.StartNew();
        // Pass 1 measures how far `to` and `from` disagree with untrimmed mirrors; pass 2 is the cell with its
        // output mirror trimmed to cancel that (a mismatch is a current injected into both of the cell's nodes,
        // and a node sums it over every cell it has).
        var (y, to, from, model) = Sweep(topology, 1);
        int centre = Array.IndexOf(OutputVolts, 0.0);
        double ratio = topology.OutputRatio(y, to[centre], from[centre]);
        (y, to, from, model) = Sweep(topology, ratio);
        var (cTo, cFrom) = Capacitance(topology, model);
        return new Characterization(topology, tech.Name, tech.Corner, y, OutputVolts, to, from, cTo, cFrom, ratio, clock.Elapsed.TotalSeconds, false);
    }

    private (double[] Y, double[][] To, double[][] From, Dictionary<string, object> Model) Sweep(CellTopology topology, double ratio)
    {
        var deck = new StringWriter { NewLine = "\n" };
        var cell = topology.CellName;
        var model = new Dictionary<string, object>(CellTemplates.Common(tech))
        {
            ["cell"] = CellTemplates.Cell(topology, ratio),
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
        return (y, to, from, model);
    }

    /// <summary>Output-pin capacitances of the unit cell, conducting and off, from a fast up-down ramp of both outputs.</summary>
    private (double[] To, double[] From) Capacitance(CellTopology topology, Dictionary<string, object> model)
    {
        const double low = RampLow, high = RampHigh, ramp = RampSeconds;
        model["ramp_low"] = Numbers.Format(low);
        model["ramp_high"] = Numbers.Format(high);
        model["ramp_time"] = Numbers.Format(ramp);
        model["ramp_time2"] = Numbers.Format(2 * ramp);
        model["step"] = Numbers.Format(ramp / RampSteps);
        var deck = new StringWriter { NewLine = "\n" };
        _templates.Render(CellTemplates.Capacitance, model, deck);
        var names = new[] { "i(ef0)", "i(et0)", "i(ef1)", "i(et1)" };
        using var sim = _simulators();
        var result = sim.Run(new SimulationRequest(deck.ToString(), names, TimeSpan.FromMinutes(5)));
        if (!result.IsOk)
            throw new KirchhoffHwException(tech.File, $"measuring the output capacitance of {topology.CellName} failed in ngspice: {result.Status}: {result.Message}");
        double slope = (high - low) / ramp;
        // at the ramp's mid-voltage, once on the way up (t = ramp/2) and once on the way down (t = 3 ramp/2)
        double C(string name)
        {
            var t = result.Time; var i = result.Vectors[name];
            double up = Metrics(t, i, ramp / 2), down = Metrics(t, i, 1.5 * ramp);
            return Math.Abs(up - down) / (2 * slope);
        }
        return ([C("i(et0)"), C("i(et1)")], [C("i(ef0)"), C("i(ef1)")]);

        static double Metrics(double[] t, double[] v, double at)
        {
            int k = Array.BinarySearch(t, at);
            if (k >= 0) return v[k];
            k = Math.Clamp(~k, 1, t.Length - 1);
            return v[k - 1] + (at - t[k - 1]) / (t[k] - t[k - 1]) * (v[k] - v[k - 1]);
        }
    }

    private static Characterization Read(string path)
    {
        var c = JsonSerializer.Deserialize<Characterization>(File.ReadAllText(path)) ?? throw new JsonException("empty");
        if (c.Y.Length < 10 || c.To.Length != c.OutputVolts.Length || c.ToCapacitance is not { Length: 2 } || c.FromCapacitance is not { Length: 2 }) throw new JsonException("incomplete");
        return c with { FromCache = true, Seconds = 0 };
    }
}

/// <summary>Names and numbers the cell templates share, computed once from the technology.</summary>
internal static class CellTemplates
{
    public const string Characterize = "spice/cells/characterize.sbn";
    public const string Capacitance = "spice/cells/capacitance.sbn";

    /// <summary>What a cell template reads as `cell`: its subcircuit name, its template and its output-mirror trim.</summary>
    public static Dictionary<string, object> Cell(CellTopology topology, double ratio) => new()
    {
        ["name"] = topology.CellName,
        ["template"] = topology.Template,
        ["ratio"] = Numbers.Format(ratio),
    };

    public static Dictionary<string, object> Common(Technology tech) => new()
    {
        ["tech_name"] = Names.CommentText(tech.Name),
        ["tech_corner"] = Names.CommentText(tech.Corner),
        ["tech_source"] = Names.CommentText(tech.Source),
        ["model_line"] = ModelLine(tech),
        ["nmos"] = tech.Models.Nmos,
        ["pmos"] = tech.Models.Pmos,
        ["length"] = Numbers.Format(tech.Cells.Length),
        ["min_width"] = Numbers.Format(tech.MinWidth),
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
