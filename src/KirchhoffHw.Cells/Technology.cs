using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace KirchhoffHw.Cells;

/// <summary>How the MOS models reach a deck: a library file, either `.include`d or, with a section, `.lib path section`.</summary>
public sealed record ModelLibrary(string Path, string? Section, string Nmos, string Pmos);

/// <summary>Unit-cell sizing: every cell is built from transistors of this length, at this current density.</summary>
/// <param name="UnitCurrent">Bias current (A) of the characterized unit cell; a device's cell scales widths with its bias, keeping the current density and so the normalized I-V.</param>
/// <param name="NmosWidth">nMOS width (m) of the unit cell.</param>
/// <param name="PmosWidth">pMOS width (m) of the unit cell.</param>
/// <param name="InputCommonMode">Gate common-mode voltage (V) of the differential pair.</param>
/// <param name="SwitchWidth">Width (m) of a phase or precharge switch transistor (minimum length).</param>
public sealed record CellSizing(double Length, double UnitCurrent, double NmosWidth, double PmosWidth, double InputCommonMode, double SwitchWidth);

/// <summary>
/// A MOS technology: model cards and corner, rails, geometry and bias limits, capacitor density and the
/// per-transistor area rule. Loaded from YAML (`designs/tech/*.yaml`); every field is checked and a bad one is
/// reported as file:line. Voltages are relative to the circuit's node 0 (ground), so split rails (Vss &lt; 0 &lt; Vdd)
/// let node voltages of both signs stay inside the supply.
/// </summary>
public sealed record Technology
{
    public required string Name { get; init; }
    /// <summary>Where the model cards come from (publication, URL, licence).</summary>
    public required string Source { get; init; }
    public required string Corner { get; init; }
    public required ModelLibrary Models { get; init; }
    public required double Vdd { get; init; }
    public required double Vss { get; init; }
    public required double MinLength { get; init; }
    public required double MaxLength { get; init; }
    public required double MinWidth { get; init; }
    public required double MaxWidth { get; init; }
    public required double MinBiasCurrent { get; init; }
    public required double MaxBiasCurrent { get; init; }
    /// <summary>F/m^2 (the YAML gives fF/um^2; 1 fF/um^2 = 1e-3 F/m^2).</summary>
    public required double CapacitorDensity { get; init; }
    /// <summary>Poly end-cap beyond the channel on each side of the width (m).</summary>
    public required double GateExtension { get; init; }
    /// <summary>Source/drain diffusion (with contact) on each side of the channel length (m).</summary>
    public required double DiffusionExtension { get; init; }
    public required CellSizing Cells { get; init; }
    /// <summary>The YAML file this came from (diagnostics and cache keys).</summary>
    public string File { get; init; } = "";

    /// <summary>Layout area of one transistor (m^2): (W + 2 end-caps) x (L + 2 diffusions).</summary>
    public double TransistorArea(double width, double length) =>
        (width + 2 * GateExtension) * (length + 2 * DiffusionExtension);

    public double Supply => Vdd - Vss;

    /// <summary>The shipped default technology file under a repository root.</summary>
    public static string DefaultPath(string repoRoot) => System.IO.Path.Combine(repoRoot, "designs", "tech", "ptm45hp.yaml");

    /// <summary>The shipped default, found beside the assembly (copied at build) or under the repository.</summary>
    public static string DefaultPath()
    {
        var beside = System.IO.Path.Combine(AppContext.BaseDirectory, "tech", "ptm45hp.yaml");
        if (System.IO.File.Exists(beside)) return beside;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(DefaultPath(dir.FullName))) return DefaultPath(dir.FullName);
        return beside;
    }

    /// <summary>A stable hash of everything that changes a cell's characterization (cache key).</summary>
    public string Fingerprint()
    {
        var text = string.Join("|", Name, Corner, Models.Nmos, Models.Pmos, Models.Section ?? "", R(Vdd), R(Vss),
            R(Cells.Length), R(Cells.UnitCurrent), R(Cells.NmosWidth), R(Cells.PmosWidth), R(Cells.InputCommonMode), R(Cells.SwitchWidth));
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(text));
        if (System.IO.File.Exists(Models.Path)) sha.AppendData(System.IO.File.ReadAllBytes(Models.Path));
        return Convert.ToHexString(sha.GetHashAndReset())[..16].ToLowerInvariant();
        static string R(double x) => x.ToString("R", CultureInfo.InvariantCulture);
    }

    // ---- loading ----

    private static readonly Regex ModelName = new(@"^[A-Za-z_][A-Za-z0-9_.]{0,63}\z", RegexOptions.CultureInvariant);

    public static Technology Load(string path)
    {
        string text;
        try { text = Model.IO.InputFile.ReadAllText(path, "technology file"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        { throw new KirchhoffHwException(path, $"cannot read technology file: {e.Message}"); }
        return Parse(text, path);
    }

    public static Technology Parse(string text, string path)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e) { throw new KirchhoffHwException(new SourceLocation(path, (int)e.Start.Line, (int)e.Start.Column), $"not valid YAML: {e.Message}"); }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new KirchhoffHwException(path, "a technology file is one YAML mapping (name, source, models, supply, ...)");
        var r = new Reader(path);
        var known = new[] { "name", "source", "corner", "models", "supply", "length", "width", "bias_current", "capacitor_density", "transistor_area", "cells" };
        r.Unknown(root, known, "technology");

        var name = r.Identifier(r.Required(root, "name"), "name");
        var source = r.Text(r.Required(root, "source"), "source");
        var corner = root.Children.ContainsKey(new YamlScalarNode("corner")) ? r.Identifier(root[new YamlScalarNode("corner")], "corner") : "nominal";

        var models = r.Map(r.Required(root, "models"), "models");
        r.Unknown(models, ["library", "section", "nmos", "pmos"], "models");
        var libNode = r.Required(models, "library");
        var lib = r.Text(libNode, "models.library");
        // ngspice 39 cuts a .lib path at the first space even when quoted, so spaces are refused here
        if (lib.IndexOfAny(['"', '\'', ' ']) >= 0 || lib.Any(c => c <= ' ' || c > '~'))
            r.Fail(libNode, "models.library must be a plain path (printable ASCII, no quotes or spaces)");
        var libPath = System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? ".", lib));
        if (!System.IO.File.Exists(libPath)) r.Fail(libNode, $"model library '{Names.CommentText(lib)}' not found (looked for {Names.CommentText(libPath)})");
        string? section = models.Children.TryGetValue(new YamlScalarNode("section"), out var sec) ? r.Identifier(sec, "models.section") : null;
        var nmos = r.ModelNameOf(r.Required(models, "nmos"), "models.nmos");
        var pmos = r.ModelNameOf(r.Required(models, "pmos"), "models.pmos");

        var supply = r.Map(r.Required(root, "supply"), "supply");
        r.Unknown(supply, ["vdd", "vss"], "supply");
        double vdd = r.Number(r.Required(supply, "vdd"), "supply.vdd");
        var vssNode = r.Required(supply, "vss");
        double vss = r.Number(vssNode, "supply.vss");
        if (!(vdd > 0)) r.Fail(supply, "supply.vdd must be above 0 V (node 0 is the circuit's ground)");
        if (!(vss <= 0)) r.Fail(vssNode, "supply.vss must be at or below 0 V (node 0 is the circuit's ground)");
        if (vdd - vss > 20) r.Fail(supply, $"supply span {vdd - vss} V is not a MOS supply");

        var (lmin, lmax) = r.Range(r.Required(root, "length"), "length", 1e-9, 1e-3);
        var (wmin, wmax) = r.Range(r.Required(root, "width"), "width", 1e-9, 1e-2);
        var (imin, imax) = r.Range(r.Required(root, "bias_current"), "bias_current", 1e-15, 1);
        var densNode = r.Required(root, "capacitor_density");
        double density = r.Number(densNode, "capacitor_density");
        if (!(density > 0 && density < 1000)) r.Fail(densNode, "capacitor_density must be in (0, 1000) fF/um^2");

        var area = r.Map(r.Required(root, "transistor_area"), "transistor_area");
        r.Unknown(area, ["gate_extension", "diffusion_extension"], "transistor_area");
        double ge = r.Positive(r.Required(area, "gate_extension"), "transistor_area.gate_extension", 1e-4);
        double de = r.Positive(r.Required(area, "diffusion_extension"), "transistor_area.diffusion_extension", 1e-4);

        var cells = r.Map(r.Required(root, "cells"), "cells");
        r.Unknown(cells, ["length", "unit_current", "nmos_width", "pmos_width", "input_common_mode", "switch_width"], "cells");
        var lenNode = r.Required(cells, "length");
        double cl = r.Positive(lenNode, "cells.length", 1e-3);
        double cu = r.Positive(r.Required(cells, "unit_current"), "cells.unit_current", 1);
        var wnNode = r.Required(cells, "nmos_width");
        var wpNode = r.Required(cells, "pmos_width");
        var swNode = r.Required(cells, "switch_width");
        double cwn = r.Positive(wnNode, "cells.nmos_width", 1e-2), cwp = r.Positive(wpNode, "cells.pmos_width", 1e-2), csw = r.Positive(swNode, "cells.switch_width", 1e-2);
        var cmNode = r.Required(cells, "input_common_mode");
        double cm = r.Number(cmNode, "cells.input_common_mode");
        if (r.Ok)
        {
            if (cl < lmin || cl > lmax) r.Fail(lenNode, $"cells.length {cl} m is outside the length limits [{lmin}, {lmax}] m");
            foreach (var (node, w, what) in new[] { (wnNode, cwn, "cells.nmos_width"), (wpNode, cwp, "cells.pmos_width"), (swNode, csw, "cells.switch_width") })
                if (w < wmin || w > wmax) r.Fail(node, $"{what} {w} m is outside the width limits [{wmin}, {wmax}] m");
            if (!(cm > vss && cm < vdd)) r.Fail(cmNode, $"cells.input_common_mode {cm} V must lie between the rails ({vss}, {vdd}) V");
        }
        r.ThrowIfAny();
        return new Technology
        {
            Name = name, Source = source, Corner = corner,
            Models = new ModelLibrary(libPath, section, nmos, pmos),
            Vdd = vdd, Vss = vss, MinLength = lmin, MaxLength = lmax, MinWidth = wmin, MaxWidth = wmax,
            MinBiasCurrent = imin, MaxBiasCurrent = imax, CapacitorDensity = density * 1e-3,
            GateExtension = ge, DiffusionExtension = de,
            Cells = new CellSizing(cl, cu, cwn, cwp, cm, csw),
            File = System.IO.Path.GetFullPath(path),
        };
    }

    /// <summary>Typed reads that collect every problem with its line, so a user fixes a file in one go.</summary>
    private sealed class Reader(string path)
    {
        private readonly List<Diagnostic> _problems = [];
        public bool Ok => _problems.Count == 0;

        private SourceLocation At(YamlNode n) => new(path, (int)n.Start.Line, (int)n.Start.Column);

        public void Fail(YamlNode node, string message) => _problems.Add(new Diagnostic(At(node), message));

        public void ThrowIfAny() { if (_problems.Count > 0) throw new KirchhoffHwException(_problems); }

        public YamlNode Required(YamlMappingNode map, string key)
        {
            if (map.Children.TryGetValue(new YamlScalarNode(key), out var v)) return v;
            _problems.Add(new Diagnostic(At(map), $"missing '{key}'"));
            ThrowIfAny();
            throw new InvalidOperationException();
        }

        public void Unknown(YamlMappingNode map, IReadOnlyCollection<string> known, string what)
        {
            foreach (var key in map.Children.Keys)
                if (key is not YamlScalarNode { Value: { } k } || !known.Contains(k))
                    Fail(key, $"unknown key '{Names.CommentText((key as YamlScalarNode)?.Value)}' in {what} (known: {string.Join(", ", known)})");
        }

        public YamlMappingNode Map(YamlNode node, string what)
        {
            if (node is YamlMappingNode m) return m;
            Fail(node, $"{what} must be a mapping");
            ThrowIfAny();
            throw new InvalidOperationException();
        }

        public string Text(YamlNode node, string what)
        {
            if (node is YamlScalarNode { Value: { Length: > 0 } v }) return v;
            Fail(node, $"{what} must be a non-empty text");
            return "";
        }

        public string Identifier(YamlNode node, string what)
        {
            var t = Text(node, what);
            if (t.Length > 0 && !Regex.IsMatch(t, @"^[A-Za-z0-9_.+-]{1,64}\z")) Fail(node, $"{what} '{Names.CommentText(t)}' must be a word of letters, digits, _ . + -");
            return t;
        }

        public string ModelNameOf(YamlNode node, string what)
        {
            var t = Text(node, what);
            if (t.Length > 0 && !ModelName.IsMatch(t)) Fail(node, $"{what} '{Names.CommentText(t)}' is not a SPICE model name");
            return t;
        }

        public double Number(YamlNode node, string what)
        {
            if (node is YamlScalarNode { Value: { } v } && Numbers.ParseEngineering(v) is { } x) return x;
            Fail(node, $"{what} must be a number (SI suffixes as in SPICE: 45n, 1u)");
            return double.NaN;
        }

        public double Positive(YamlNode node, string what, double max)
        {
            double x = Number(node, what);
            if (double.IsFinite(x) && !(x > 0 && x <= max)) Fail(node, $"{what} must be in (0, {max}], got {x}");
            return x;
        }

        public (double Min, double Max) Range(YamlNode node, string what, double lo, double hi)
        {
            var m = Map(node, what);
            Unknown(m, ["min", "max"], what);
            double a = Number(Required(m, "min"), what + ".min"), b = Number(Required(m, "max"), what + ".max");
            if (double.IsFinite(a) && double.IsFinite(b) && !(a >= lo && a < b && b <= hi))
                Fail(m, $"{what} must satisfy {lo} <= min < max <= {hi}, got min {a}, max {b}");
            return (a, b);
        }
    }
}
