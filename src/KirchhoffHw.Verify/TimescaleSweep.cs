using System.Text.Json;
using KirchhoffHw.Model;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Model.IO;

namespace KirchhoffHw.Verify;

/// <summary>One time unit of a measured timescale: its verdict file (beside the sweep) and what that verdict found; figures null when it was not co-simulated.</summary>
public sealed record TimescalePoint(double TimeUnit, string Verdict, double? MaxOutputError, double? RmsOutputError, double? MeanSampleError,
    double? Tolerance, int? Simulated, int? Cases, bool? Pass);

/// <summary>
/// The timescale, measured (`verify --time-units`): one design verified at several time units, capacitance and voltage
/// scale held, and the fastest time unit whose verdict passes. The file names the design by name and by
/// <see cref="DesignFingerprint"/>, with the units it held, so a report refuses a sweep of another design or other units.
/// </summary>
public sealed record TimescaleSweep(string Design, string DesignFingerprint, CircuitFidelity Fidelity, double Capacitance, double VoltageScale,
    IReadOnlyList<TimescalePoint> Points)
{
    public const string Schema = "kirchhoffhw-timescale/1";

    /// <summary>The smallest time unit whose verdict passed; null when none did.</summary>
    public double? FastestPassing => Points.Where(p => p.Pass == true).Select(p => (double?)p.TimeUnit).Min();

    public static TimescalePoint Point(double timeUnit, string verdictPath, VerifyReport? report) => report is null
        ? new(timeUnit, Path.GetFileName(verdictPath), null, null, null, null, null, null, null)
        : new(timeUnit, Path.GetFileName(verdictPath), Finite(report.Summary.MaxOutputError), Finite(report.Summary.RmsOutputError), Finite(report.Summary.MeanSampleError),
            report.Tolerance, report.Summary.Simulated, report.Summary.Cases, report.Pass);

    private static double? Finite(double? x) => x is { } v && double.IsFinite(v) ? v : null;

    public void Save(string path) => AtomicFile.Write(path, stream =>
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("schema", Schema);
        w.WriteString("design", Design);
        w.WriteString("design_fingerprint", DesignFingerprint);
        w.WriteString("fidelity", Fidelity.ToString());
        w.WriteNumber("capacitance_f", Capacitance);
        w.WriteNumber("voltage_scale_v", VoltageScale);
        w.WriteStartArray("time_units");
        foreach (var p in Points)
        {
            w.WriteStartObject();
            w.WriteNumber("time_unit_s", p.TimeUnit);
            w.WriteString("verdict", p.Verdict);
            if (p.Pass is not null)
            {
                VerdictJson.Number(w, "max_output_error", p.MaxOutputError);
                VerdictJson.Number(w, "rms_output_error", p.RmsOutputError);
                VerdictJson.Number(w, "mean_sample_error", p.MeanSampleError);
                VerdictJson.Number(w, "tolerance", p.Tolerance);
                w.WriteNumber("simulated", p.Simulated ?? 0); w.WriteNumber("cases", p.Cases ?? 0);
                w.WriteBoolean("pass", p.Pass.Value);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (FastestPassing is { } f) w.WriteNumber("fastest_passing_time_unit_s", f); else w.WriteNull("fastest_passing_time_unit_s");
        w.WriteEndObject();
    });

    /// <summary>True when the JSON document has a sweep's shape (an object with a `time_units` array), as opposed to a verdict's.</summary>
    public static bool IsSweep(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("time_units", out var t) && t.ValueKind == JsonValueKind.Array;

    /// <summary>
    /// True when <paramref name="path"/> holds a sweep (by its shape) rather than a verdict; false for anything else,
    /// bad JSON included, so that the verdict reader names what is wrong with it.
    /// </summary>
    public static bool IsSweepFile(string path)
    {
        var bytes = InputFile.ReadAllBytes(path, "verdict file", bytesPerByte: 8);
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            return IsSweep(doc.RootElement);
        }
        catch (JsonException) { return false; }
    }

    /// <summary>Reads a sweep file; bad content is one error naming the file and what is wrong.</summary>
    public static TimescaleSweep Load(string path)
    {
        var bytes = InputFile.ReadAllBytes(path, "timescale sweep", bytesPerByte: 8);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(bytes); }
        catch (JsonException x) { throw new KirchhoffHwException(path, $"not JSON: {x.Message}"); }
        using (doc) return Read(doc.RootElement, path);
    }

    public static TimescaleSweep Read(JsonElement e, string path)
    {
        KirchhoffHwException Bad(string reason) => new(path, $"not a timescale sweep written by `kirchhoffhw verify --time-units`: {reason}");
        if (!IsSweep(e)) throw Bad("no `time_units` array");
        string Str(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
            : throw Bad($"`{name}` is missing or not a string");
        double Pos(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.GetDouble() is var x && x > 0 && double.IsFinite(x) ? x
            : throw Bad($"`{name}` is missing or not a positive number");
        double? Opt(JsonElement o, string name) => !o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
            : v.ValueKind == JsonValueKind.Number && double.IsFinite(v.GetDouble()) && v.GetDouble() >= 0 ? v.GetDouble() : throw Bad($"`{name}` is not a non-negative number or null");
        int? Count(JsonElement o, string name) => !o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
            : v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) && n >= 0 ? n : throw Bad($"`{name}` is not a count");
        // sweeps written before they named their design cannot be checked against the report's
        if (!e.TryGetProperty("design_fingerprint", out _))
            throw Bad("it names no design fingerprint (written by an older version): run `verify --time-units` again");
        var fidelityText = Str(e, "fidelity");
        var fidelity = CircuitFidelity.Parse(fidelityText)
            ?? throw Bad($"fidelity '{Names.CommentText(fidelityText)}' is not ideal, macro (tech, corner) or transistor (tech, corner)");
        var points = new List<TimescalePoint>();
        int i = 0;
        foreach (var p in e.GetProperty("time_units").EnumerateArray())
        {
            if (p.ValueKind != JsonValueKind.Object) throw Bad($"time_units[{i}] is not an object");
            bool? pass = !p.TryGetProperty("pass", out var pv) || pv.ValueKind == JsonValueKind.Null ? null
                : pv.ValueKind is JsonValueKind.True or JsonValueKind.False ? pv.GetBoolean() : throw Bad($"time_units[{i}].pass is not a boolean");
            points.Add(new TimescalePoint(Pos(p, "time_unit_s"), Str(p, "verdict"), Opt(p, "max_output_error"), Opt(p, "rms_output_error"),
                Opt(p, "mean_sample_error"), Opt(p, "tolerance"), Count(p, "simulated"), Count(p, "cases"), pass));
            i++;
        }
        if (points.Count == 0) throw Bad("`time_units` is empty");
        if (points.Select(p => p.TimeUnit).Distinct().Count() != points.Count) throw Bad("a time unit appears twice");
        return new TimescaleSweep(Str(e, "design"), Str(e, "design_fingerprint"), fidelity, Pos(e, "capacitance_f"), Pos(e, "voltage_scale_v"),
            points.OrderBy(p => p.TimeUnit).ToList());
    }

    /// <summary>Refuses a sweep of another design, or made at another capacitance or voltage scale than <paramref name="design"/>'s (the time unit is what it varies).</summary>
    public void Check(Design design, string path)
    {
        if (Design != design.Name)
            throw new KirchhoffHwException(path, $"is a timescale sweep of design '{Names.CommentText(Design)}', not of '{Names.CommentText(design.Name)}'");
        if (DesignFingerprint != design.Fingerprint())
            throw new KirchhoffHwException(path, $"is a timescale sweep of another design named '{Names.CommentText(Design)}' (fingerprint {Names.CommentText(DesignFingerprint)}, the report's design is {design.Fingerprint()})");
        if (Capacitance != design.Units.Capacitance || VoltageScale != design.Units.VoltageScale)
            throw new KirchhoffHwException(path, $"made at C = {Capacitance:G4} F, voltage scale = {VoltageScale:G4} V, not at the report's C = {design.Units.Capacitance:G4} F, voltage scale = {design.Units.VoltageScale:G4} V");
    }
}
