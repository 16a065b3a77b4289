using System.Text.Json;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Simulate;

namespace KirchhoffHw.Verify;

/// <summary>
/// The verdict file: `cases` has the shape of vectors.json (input, boundaries[{t, state}], output, all in model
/// units) so any tool can compare it, with each case's errors and verdict beside; `summary` holds the task-level
/// figures. Also the per-case journal lines that let an interrupted run resume.
/// </summary>
public static class VerdictJson
{
    /// <summary>The `units` object, shared by verdict and report files so tools read both alike; with how the voltage scale was chosen when it was chosen automatically.</summary>
    public static void WriteUnits(Utf8JsonWriter w, Units units, VoltageScaleChoice? choice = null)
    {
        w.WriteStartObject("units");
        w.WriteNumber("capacitance_f", units.Capacitance);
        w.WriteNumber("time_unit_s", units.TimeUnit);
        w.WriteNumber("voltage_scale_v", units.VoltageScale);
        w.WriteNumber("current_scale_a", units.CurrentScale);
        if (choice is not null)
        {
            w.WriteStartObject("voltage_scale_auto");
            w.WriteNumber("margin", choice.Margin);
            w.WriteNumber("peak_state_model", choice.PeakModelVoltage);
            w.WriteNumber("allowed_swing_v", choice.AllowedSwingVolts);
            w.WriteString("supply", choice.Supply);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>How a units object says its voltage scale was chosen; null when it was given.</summary>
    public static VoltageScaleChoice? ReadVoltageScaleChoice(JsonElement units) =>
        units.TryGetProperty("voltage_scale_auto", out var a) && a.ValueKind == JsonValueKind.Object
            ? new VoltageScaleChoice(units.GetProperty("voltage_scale_v").GetDouble(), a.GetProperty("margin").GetDouble(),
                a.GetProperty("peak_state_model").GetDouble(), a.GetProperty("allowed_swing_v").GetDouble(), a.GetProperty("supply").GetString()!)
            : null;

    public static void Save(string path, VerifyReport report) =>
        AtomicFile.Write(path, s =>
        {
            using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true });
            Write(w, report);
        });

    public static void Write(Utf8JsonWriter w, VerifyReport r)
    {
        w.WriteStartObject();
        w.WriteString("design", r.Design);
        w.WriteString("source", r.Source);
        w.WriteString("fidelity", r.Fidelity.ToString());
        w.WriteString("simulator", r.Simulator);
        w.WriteString("task", r.Task.ToString().ToLowerInvariant());
        WriteUnits(w, r.Units, r.VoltageScale);
        w.WriteNumber("tolerance", r.Tolerance);
        var rule = r.Rule ?? ToleranceRule.Absolute(r.Tolerance, VerifyOptions.Default.InitialTolerance);
        w.WriteStartObject("bounds");
        w.WriteNumber("output", rule.Output);
        w.WriteNumber("state_atol", rule.StateAtol);
        w.WriteNumber("state_rtol", rule.StateRtol);
        w.WriteNumber("initial", rule.Initial);
        w.WriteEndObject();
        w.WriteBoolean("pass", r.Pass);
        if (r.Rails is { } rails)
        {
            w.WriteStartObject("rails");
            w.WriteString("supply", rails.Supply.Name);
            w.WriteNumber("vss_v", rails.Supply.Vss);
            w.WriteNumber("vdd_v", rails.Supply.Vdd);
            w.WriteNumber("allowed_swing_v", rails.Supply.AllowedSwing);
            w.WriteNumber("max_node_v", rails.MaxNodeVolts);
            w.WriteBoolean("within", rails.Within);
            w.WriteBoolean("powers_circuit", rails.Supply.Powers);
            w.WriteEndObject();
        }
        else w.WriteNull("rails");
        if (r.Accuracy is { } a)
        {
            w.WriteStartObject("deck_accuracy");
            w.WriteNumber("reltol", a.RelTol);
            w.WriteNumber("trtol", a.TrTol);
            w.WriteNumber("voltage_floor_model", a.VoltageFloor);
            w.WriteNumber("charge_floor_model", a.ChargeFloor);
            w.WriteNumber("current_floor_model", a.CurrentFloor);
            w.WriteString("basis", a.Basis);
            w.WriteEndObject();
        }

        w.WriteStartObject("summary");
        var s = r.Summary;
        w.WriteString("task", s.Task);
        w.WriteNumber("cases", s.Cases);
        w.WriteNumber("simulated", s.Simulated);
        w.WriteNumber("passed", r.Cases.Count(c => c.Pass));
        Number(w, "max_output_error", s.MaxOutputError);
        w.WriteNumber("output_bound", r.Tolerance);
        Number(w, "rms_output_error", s.RmsOutputError);
        Number(w, "argmax_agreement", s.ArgmaxAgreement);
        Number(w, "min_reference_margin", s.MinReferenceMargin);
        Number(w, "mean_sample_error", s.MeanSampleError);
        Number(w, "reference_std", s.ReferenceStd);
        Number(w, "energy_distance", s.EnergyDistance);
        w.WriteBoolean("pass", s.Pass);
        Strings(w, "failures", s.Failures);
        w.WriteEndObject();

        w.WriteStartObject("timescale");
        w.WriteNumber("expected_s", r.Timescale.ExpectedSeconds);
        w.WriteNumber("simulated_s", r.Timescale.SimulatedSeconds);
        Number(w, "latest_settle_s", r.Timescale.LatestSettleSeconds);
        w.WriteBoolean("pass", r.Timescale.Pass);
        w.WriteEndObject();

        w.WriteStartObject("dynamic_range");
        w.WriteNumber("max_node_v", r.Range.MaxNodeVolts);
        w.WriteNumber("max_device_a", r.Range.MaxDeviceAmps);
        w.WriteEndObject();

        if (r.Supply is { } supply)
        {
            // derived from the cases' own figures (read back from them): the summary is for readers
            w.WriteStartObject("supply");
            w.WriteNumber("cases", r.SupplyCases);
            WriteSupply(w, supply, "mean_energy_per_inference_j", "max_layer_power_w");
            w.WriteEndObject();
        }

        w.WriteStartArray("cases");
        foreach (var c in r.Cases) WriteCase(w, c);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void WriteCase(Utf8JsonWriter w, CaseVerdict c)
    {
        w.WriteStartObject();
        w.WriteNumber("index", c.Index);
        Array(w, "input", c.Input);
        if (c.Circuit is { } circuit)
        {
            w.WriteStartArray("boundaries");
            foreach (var (t, state) in circuit.Boundaries) { w.WriteStartObject(); w.WriteNumber("t", t); Array(w, "state", state); w.WriteEndObject(); }
            w.WriteEndArray();
            Array(w, "output", circuit.Output);
            Array(w, "initial", circuit.Initial);
            w.WriteStartArray("samples");
            foreach (var (t, state) in circuit.Samples) { w.WriteStartObject(); w.WriteNumber("t", t); Array(w, "state", state); w.WriteEndObject(); }
            w.WriteEndArray();
            w.WriteNumber("last_time", circuit.LastTime);
        }
        Array(w, "reference_output", c.ReferenceOutput);
        w.WriteString("status", c.Status.ToString());
        if (c.Message is not null) w.WriteString("message", c.Message);
        w.WriteBoolean("pass", c.Pass);
        Strings(w, "failures", c.Failures);
        if (c.Errors is { } e)
        {
            w.WriteStartObject("errors");
            w.WriteNumber("initial", e.Initial);
            w.WriteNumber("boundary", e.Boundary);
            w.WriteNumber("sample", e.Sample);
            w.WriteNumber("output", e.Output);
            w.WriteEndObject();
        }
        if (c.Bounds is { } b)
        {
            w.WriteStartObject("bounds");
            w.WriteNumber("initial", b.Initial);
            w.WriteNumber("boundary", b.State);
            w.WriteNumber("sample", b.State);
            w.WriteNumber("output", b.Output);
            w.WriteEndObject();
            Number(w, "state_scale", b.StateScale);
        }
        w.WriteNumber("max_node_v", c.Range.MaxNodeVolts);
        w.WriteNumber("max_device_a", c.Range.MaxDeviceAmps);
        Number(w, "settle_s", c.SettleTime);
        w.WriteNumber("elapsed_s", c.ElapsedSeconds);
        w.WriteNumber("time_points", c.TimePoints);
        if (c.Supply is { } supply)
        {
            w.WriteStartObject("supply");
            WriteSupply(w, supply, "energy_j", "layer_power_w");
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>A supply draw's energy and per-layer powers under the given keys (an undefined figure as null); the report writes it too.</summary>
    public static void WriteSupply(Utf8JsonWriter w, SupplyDraw s, string energy, string layers)
    {
        Number(w, energy, s.EnergyJoules);
        w.WriteStartArray(layers);
        foreach (var p in s.LayerPowerWatts)
            if (double.IsFinite(p)) w.WriteNumberValue(p); else w.WriteNullValue();
        w.WriteEndArray();
    }

    /// <summary>Reads a verdict file back (the report verb builds reports from existing results); bad content is one error with the file.</summary>
    public static VerifyReport Load(string path)
    {
        var bytes = InputFile.ReadAllBytes(path, "verdict file", bytesPerByte: 8);
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var e = doc.RootElement;
            static double? N(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
            var u = e.GetProperty("units");
            var units = new Units(u.GetProperty("capacitance_f").GetDouble(), u.GetProperty("time_unit_s").GetDouble(), u.GetProperty("voltage_scale_v").GetDouble());
            double tolerance = e.GetProperty("tolerance").GetDouble();
            // A verdict written before states had bounds of their own held every error to the one tolerance.
            var rule = e.TryGetProperty("bounds", out var rb)
                ? new ToleranceRule(rb.GetProperty("output").GetDouble(), rb.GetProperty("state_atol").GetDouble(), rb.GetProperty("state_rtol").GetDouble(), rb.GetProperty("initial").GetDouble())
                : ToleranceRule.Absolute(tolerance, VerifyOptions.Default.InitialTolerance);
            var cases = e.GetProperty("cases").EnumerateArray().Select(ReadCase)
                .Select(c => c.Errors is not null && c.Bounds is null ? c with { Bounds = rule.For(double.NaN) } : c).ToList();
            var s = e.GetProperty("summary");
            var summary = new TaskSummary(s.TryGetProperty("task", out var st) ? st.GetString()! : e.GetProperty("task").GetString()!,
                s.GetProperty("cases").GetInt32(), s.GetProperty("simulated").GetInt32(),
                N(s, "max_output_error") ?? double.NaN, N(s, "rms_output_error") ?? double.NaN, N(s, "argmax_agreement"), N(s, "min_reference_margin"),
                N(s, "mean_sample_error"), N(s, "reference_std"), N(s, "energy_distance"), s.GetProperty("pass").GetBoolean(),
                s.GetProperty("failures").EnumerateArray().Select(f => f.GetString()!).ToList());
            var t = e.GetProperty("timescale");
            var timescale = new TimescaleCheck(t.GetProperty("expected_s").GetDouble(), t.GetProperty("simulated_s").GetDouble(), N(t, "latest_settle_s"), t.GetProperty("pass").GetBoolean());
            var r = e.GetProperty("dynamic_range");
            var fidelityText = e.GetProperty("fidelity").GetString()!;
            var fidelity = CircuitFidelity.Parse(fidelityText)
                ?? throw new KirchhoffHwException(path, $"fidelity '{Generate.Formatting.Names.CommentText(fidelityText)}' is not ideal, macro (tech, corner) or transistor (tech, corner)");
            RailsCheck? rails = e.TryGetProperty("rails", out var ra) && ra.ValueKind == JsonValueKind.Object
                ? new RailsCheck(new Supply(ra.GetProperty("supply").GetString()!, ra.GetProperty("vss_v").GetDouble(), ra.GetProperty("vdd_v").GetDouble(),
                    ra.GetProperty("powers_circuit").GetBoolean()), ra.GetProperty("max_node_v").GetDouble())
                : null;
            Generate.DeckAccuracy? accuracy = e.TryGetProperty("deck_accuracy", out var da)
                ? new Generate.DeckAccuracy(da.GetProperty("reltol").GetDouble(), da.GetProperty("trtol").GetDouble(), da.GetProperty("voltage_floor_model").GetDouble(),
                    da.GetProperty("charge_floor_model").GetDouble(), da.GetProperty("current_floor_model").GetDouble(), da.GetProperty("basis").GetString()!)
                : null;
            return new VerifyReport(e.GetProperty("design").GetString()!, e.GetProperty("source").GetString()!, fidelity,
                e.GetProperty("simulator").GetString()!, units, Enum.Parse<TaskKind>(e.GetProperty("task").GetString()!, ignoreCase: true),
                tolerance, cases, summary, timescale,
                new DynamicRange(r.GetProperty("max_node_v").GetDouble(), r.GetProperty("max_device_a").GetDouble()), e.GetProperty("pass").GetBoolean(),
                rule, rails, ReadVoltageScaleChoice(u), accuracy);
        }
        catch (Exception x) when (x is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new KirchhoffHwException(path, $"not a verdict file written by `kirchhoffhw verify`: {x.Message}");
        }
    }

    public static CaseVerdict ReadCase(JsonElement e)
    {
        static double[] Arr(JsonElement x) => x.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        static List<(double, double[])> Points(JsonElement x) =>
            x.EnumerateArray().Select(p => (p.GetProperty("t").GetDouble(), Arr(p.GetProperty("state")))).ToList();
        CircuitCase? circuit = e.TryGetProperty("output", out var output)
            ? new CircuitCase(Arr(e.GetProperty("initial")), Points(e.GetProperty("boundaries")), Points(e.GetProperty("samples")),
                Arr(output), e.GetProperty("last_time").GetDouble())
            : null;
        CaseErrors? errors = e.TryGetProperty("errors", out var er)
            ? new CaseErrors(er.GetProperty("initial").GetDouble(), er.GetProperty("boundary").GetDouble(),
                er.GetProperty("sample").GetDouble(), er.GetProperty("output").GetDouble())
            : null;
        ErrorBounds? bounds = e.TryGetProperty("bounds", out var bo)
            ? new ErrorBounds(bo.GetProperty("initial").GetDouble(), bo.GetProperty("boundary").GetDouble(), bo.GetProperty("output").GetDouble(),
                e.TryGetProperty("state_scale", out var sc) && sc.ValueKind == JsonValueKind.Number ? sc.GetDouble() : double.NaN)
            : null;
        return new CaseVerdict(
            e.GetProperty("index").GetInt32(), Arr(e.GetProperty("input")),
            Enum.Parse<SimulationStatus>(e.GetProperty("status").GetString()!),
            e.TryGetProperty("message", out var m) ? m.GetString() : null,
            e.GetProperty("pass").GetBoolean(),
            e.GetProperty("failures").EnumerateArray().Select(f => f.GetString()!).ToList(),
            Arr(e.GetProperty("reference_output")), circuit, errors,
            new DynamicRange(e.GetProperty("max_node_v").GetDouble(), e.GetProperty("max_device_a").GetDouble()),
            e.GetProperty("settle_s").ValueKind == JsonValueKind.Null ? null : e.GetProperty("settle_s").GetDouble(),
            e.GetProperty("elapsed_s").GetDouble(),
            e.TryGetProperty("time_points", out var tp) ? tp.GetInt32() : 0,
            bounds,
            e.TryGetProperty("supply", out var su)
                ? new SupplyDraw(su.TryGetProperty("energy_j", out var ej) && ej.ValueKind == JsonValueKind.Number ? ej.GetDouble() : double.NaN,
                    su.GetProperty("layer_power_w").EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN).ToArray())
                : null);
    }

    private static void Array(Utf8JsonWriter w, string name, IEnumerable<double> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    // JSON has no NaN or infinity: an undefined figure is null.
    internal static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
