using System.Text.Json;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Report;

/// <summary>
/// report.json, schema `kirchhoffhw-report/1` (documented in docs/report-schema.md). Numbers are SI values in
/// round-trip precision; undefined figures are null. Only `generated_utc` changes between identical runs.
/// </summary>
public static class ReportJson
{
    public static void Write(Stream stream, ChipReport r)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("schema", ChipReport.Schema);
        w.WriteString("generated_utc", r.Generated.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("design", r.Design);
        w.WriteString("source", r.Source);
        w.WriteString("task", r.Task.ToString().ToLowerInvariant());
        w.WriteString("verdict", r.Chip.Text);
        w.WriteString("verdict_headline", r.Chip.Headline);
        w.WriteStartArray("verdict_reasons");
        foreach (var reason in r.Chip.Reasons)
        {
            w.WriteStartObject();
            w.WriteString("kind", reason.Kind.Json()); w.WriteString("text", reason.Text);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        VerdictJson.WriteUnits(w, r.Units, r.VoltageScale);

        w.WriteStartArray("headlines");
        foreach (var h in r.Headlines)
        {
            w.WriteStartObject();
            w.WriteString("key", h.Key); w.WriteString("label", h.Label); Num(w, "value", h.Value); w.WriteString("unit", h.Unit);
            if (r.Chip.Mark is { } mark) w.WriteString("mark", mark); else w.WriteNull("mark");
            w.WriteEndObject();
        }
        w.WriteEndArray();

        var c = r.Counts;
        w.WriteStartObject("counts");
        w.WriteNumber("nodes", c.Nodes);
        w.WriteNumber("capacitors", c.Capacitors);
        w.WriteNumber("devices", c.Devices);
        w.WriteNumber("outputs", c.Outputs);
        w.WriteNumber("device_transistors", c.DeviceTransistors);
        w.WriteNumber("device_switches", c.DeviceSwitches);
        w.WriteNumber("precharge_switches", c.PrechargeSwitches);
        w.WriteNumber("precharge_transistors", c.PrechargeTransistors);
        w.WriteNumber("transistors_per_precharge_switch", c.TransistorsPerPrechargeSwitch);
        w.WriteNumber("switches", c.Switches);
        w.WriteNumber("transistors", c.Transistors);
        w.WriteString("transistor_origin", c.TransistorOrigin);
        w.WriteNumber("estimated_transistors", c.EstimatedTransistors);
        if (c.Deck is { } deck)
        {
            w.WriteStartObject("deck");
            w.WriteString("family", deck.Family);
            w.WriteNumber("transistors", deck.Transistors);
            w.WriteNumber("device_transistors", deck.DeviceTransistors);
            w.WriteNumber("shared_transistors", deck.SharedTransistors);
            Num(w, "capacitance_boost", deck.CapacitanceBoost);
            w.WriteNumber("devices_at_limit", deck.DevicesAtLimit);
            w.WriteEndObject();
        }
        else w.WriteNull("deck");
        NumOrNull(w, "out_of_range", c.OutOfRange);
        w.WriteString("cell_origin", c.CellOrigin);
        w.WriteStartArray("layers");
        foreach (var l in c.Layers)
        {
            w.WriteStartObject();
            w.WriteNumber("index", l.Index); w.WriteString("model", l.Model); w.WriteNumber("devices", l.Devices);
            w.WriteNumber("t_start", l.TStart); w.WriteNumber("t_end", l.TEnd);
            var k = l.Costs;
            Num(w, "supply_current_a", k.SupplyCurrent); Num(w, "cell_area_m2", k.CellArea); w.WriteNumber("transistors", k.Transistors);
            w.WriteNumber("phase_switches", k.PhaseSwitches); NumOrNull(w, "out_of_range", k.OutOfRange);
            Num(w, "min_device_bias_a", k.MinDeviceBias); Num(w, "max_device_bias_a", k.MaxDeviceBias);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("models");
        foreach (var m in c.Models)
        {
            w.WriteStartObject();
            w.WriteString("model", m.Model); w.WriteNumber("devices", m.Devices);
            w.WriteNumber("transistors_per_device", m.TransistorsPerDevice); w.WriteNumber("switches_per_device", m.SwitchesPerDevice);
            w.WriteNumber("transistors", m.Transistors); w.WriteNumber("switches", m.Switches);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();

        var x = r.Inputs;
        w.WriteStartObject("inputs");
        w.WriteString("technology", x.TechName); w.WriteString("technology_source", x.TechSource); w.WriteString("corner", x.Corner);
        w.WriteNumber("vdd_v", x.Vdd); w.WriteNumber("vss_v", x.Vss);
        w.WriteNumber("min_bias_current_a", x.MinBiasCurrent); w.WriteNumber("max_bias_current_a", x.MaxBiasCurrent);
        w.WriteNumber("capacitor_density_f_per_m2", x.CapacitorDensity);
        w.WriteNumber("switch_area_m2", x.SwitchAreaM2); w.WriteNumber("switch_gate_capacitance_f", x.SwitchGateCapacitance);
        w.WriteNumber("precharge_switches_per_node", x.PrechargeSwitchesPerNode);
        w.WriteNumber("transistors_per_precharge_switch", x.TransistorsPerPrechargeSwitch);
        w.WriteNumber("routing_overhead", x.RoutingOverhead);
        w.WriteNumber("switch_on_resistance_ohm", x.SwitchOnResistance); w.WriteNumber("precharge_time_constants", x.PrechargeTimeConstants);
        w.WriteNumber("readout_time_s", x.ReadoutTime); w.WriteNumber("readout_energy_per_output_j", x.ReadoutEnergyPerOutput);
        w.WriteNumber("peak_device_current_model", r.PeakModelCurrent);
        w.WriteNumber("peak_current_cases", r.OperatingPointCases);
        w.WriteStartArray("cells");
        foreach (var cell in x.Cells)
        {
            w.WriteStartObject();
            w.WriteString("model", cell.Model); w.WriteNumber("transistors_per_device", cell.TransistorsPerDevice);
            w.WriteNumber("switches_per_device", cell.SwitchesPerDevice); w.WriteNumber("transistor_area_m2", cell.TransistorAreaM2);
            w.WriteString("origin", cell.Origin);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartArray("estimates");
        foreach (var e in r.Estimates)
        {
            w.WriteStartObject();
            w.WriteString("key", e.Key.Json()); w.WriteString("name", e.Name); Num(w, "value", e.Value); w.WriteString("unit", e.Unit);
            w.WriteString("formula", e.Formula);
            w.WriteStartObject("inputs");
            foreach (var (s, v) in e.Inputs) Num(w, s, v);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (r.BiasFeasible is { } feasible) w.WriteBoolean("bias_feasible", feasible); else w.WriteNull("bias_feasible");

        w.WriteStartArray("sweep");
        foreach (var p in r.Sweep)
        {
            w.WriteStartObject();
            w.WriteNumber("time_unit_s", p.TimeUnit); Num(w, "device_bias_max_a", p.DeviceCurrent); Num(w, "device_bias_min_a", p.MinDeviceBias);
            Num(w, "part_bias_min_a", p.MinPartBias); Num(w, "part_bias_max_a", p.MaxPartBias); w.WriteNumber("out_of_range", p.OutOfRange);
            Num(w, "sizing_floor_a", p.SizingFloor); Num(w, "sizing_ceiling_a", p.SizingCeiling); w.WriteBoolean("feasible", p.Feasible);
            Num(w, "static_power_w", p.StaticPower); Num(w, "energy_per_inference_j", p.EnergyPerInference); Num(w, "latency_s", p.Latency);
            Num(w, "average_power_w", p.AveragePower); Num(w, "throughput_per_s", p.Throughput);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("sweep_note", ChipEstimator.SweepVerdict(r.Sweep));
        WriteMeasured(w, r);

        var d = r.Digital;
        w.WriteStartObject("digital");
        w.WriteString("machine", d.Machine.Name); w.WriteString("basis", d.Machine.Basis);
        w.WriteNumber("ops_per_second", d.Machine.OpsPerSecond); w.WriteNumber("energy_per_op_j", d.Machine.EnergyPerOpJ);
        w.WriteString("solver", d.Solver); w.WriteNumber("tolerance", d.Tolerance); w.WriteNumber("cases", d.Cases);
        w.WriteNumber("ops_per_node_per_evaluation", d.OpsPerNodePerEvaluation);
        w.WriteString("formula", DigitalComparison.Formula);
        w.WriteStartArray("layers");
        foreach (var l in d.Layers)
        {
            w.WriteStartObject();
            w.WriteNumber("index", l.Index); w.WriteString("model", l.Model); w.WriteNumber("devices", l.Devices);
            w.WriteNumber("ops_per_device", l.OpsPerDevice); Num(w, "evaluations_per_case", l.EvaluationsPerCase); Num(w, "ops_per_evaluation", l.OpsPerEvaluation);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        Num(w, "ops_per_inference", d.OpsPerInference); Num(w, "energy_per_inference_j", d.EnergyPerInference); Num(w, "time_per_inference_s", d.TimePerInference);
        w.WriteEndObject();

        w.WriteStartArray("verification");
        foreach (var v in r.Verification) WriteRun(w, v);
        w.WriteEndArray();

        w.WriteStartArray("ranges");
        foreach (var g in r.Ranges)
        {
            w.WriteStartObject();
            w.WriteString("fidelity", g.Of);
            w.WriteNumber("max_node_v", g.MaxNodeVolts); w.WriteNumber("allowed_swing_v", g.AllowedSwingVolts); w.WriteBoolean("nodes_within_rails", g.NodesWithinRails);
            w.WriteNumber("max_device_a", g.MaxDeviceAmps); w.WriteNumber("max_bias_current_a", g.MaxBiasCurrent); w.WriteBoolean("currents_within_bias", g.CurrentsWithinBias);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartObject("cells");
        w.WriteString("note", r.CellNote);
        w.WriteStartArray("fits");
        foreach (var f in r.CellFits)
        {
            w.WriteStartObject();
            w.WriteString("model", f.Model); w.WriteString("cell", f.Cell); Num(w, "max_error", f.MaxError); Num(w, "rms_error", f.RmsError); w.WriteString("unit", f.Unit);
            Num(w, "bound", f.Bound);
            if (f.AboveBound is { } above) w.WriteNumber("devices_above_bound", above); else w.WriteNull("devices_above_bound");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("figures");
        foreach (var f in r.CellFigures)
        {
            w.WriteStartObject();
            w.WriteString("cell", f.Cell); w.WriteString("figure", f.Figure); Num(w, "value", f.Value); w.WriteString("unit", f.Unit); w.WriteString("source", f.Source);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartArray("plots");
        foreach (var p in r.Plots)
        {
            w.WriteStartObject();
            w.WriteString("key", p.Key); w.WriteString("title", p.Title); w.WriteString("caption", p.Caption);
            w.WriteString("file", "plots/" + p.FileName); w.WriteNumber("width", p.Width); w.WriteNumber("height", p.Height);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        if (r.Budget is { } budget)
        {
            w.WriteStartObject("fan_in_budget");
            w.WriteNumber("layer", budget.Layer); w.WriteNumber("node", budget.Node); w.WriteNumber("fan_in", budget.FanIn);
            w.WriteNumber("max_fan_in", budget.MaxFanIn);
            Num(w, "peak_current_sum", budget.PeakCurrentSum); Num(w, "duration", budget.Duration); Num(w, "output_tolerance", budget.OutputTolerance);
            Num(w, "systematic", budget.Systematic); Num(w, "random", budget.Random); Num(w, "steepest_input_knee", budget.SteepestInputKnee);
            if (r.Counts.Sized) w.WriteNumber("transistors", r.Counts.Transistors); else w.WriteNull("transistors");
            w.WriteEndObject();
        }
        if (r.Calibration is { } cal)
        {
            var cs = cal.Summary;
            w.WriteStartObject("calibration");
            w.WriteString("teacher", cal.Teacher.Model);
            w.WriteString("teacher_sha256", cal.Teacher.ContentHash);
            w.WriteString("technology", cal.Technology);
            w.WriteString("technology_fingerprint", cal.TechnologyFingerprint);
            w.WriteString("status", cs.Status);
            w.WriteNumber("iterations", cs.Iterations);
            w.WriteNumber("seconds", cs.Seconds);
            foreach (var (key, e) in new[] { ("before", cs.Before), ("after", cs.After) })
            {
                w.WriteStartObject(key);
                if (double.IsFinite(e.MeanSampleError)) w.WriteNumber("mean_sample_error", e.MeanSampleError); else w.WriteNull("mean_sample_error");
                if (double.IsFinite(e.RelativeError)) w.WriteNumber("relative_error", e.RelativeError); else w.WriteNull("relative_error");
                if (double.IsFinite(e.MaxAbsError)) w.WriteNumber("max_abs_error", e.MaxAbsError); else w.WriteNull("max_abs_error");
                if (e.ArgmaxKept is { } k) w.WriteNumber("argmax_kept", k);
                w.WriteEndObject();
            }
            w.WriteStartArray("loss");
            foreach (var v in cs.Loss) if (double.IsFinite(v)) w.WriteNumberValue(v); else w.WriteNullValue();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteStartObject("reproducibility");
        w.WriteString("command", r.Repro.Command);
        w.WriteString("input_origin", r.Repro.InputOrigin);
        if (r.Repro.Seed is { } seed) w.WriteNumber("seed", seed); else w.WriteNull("seed");
        w.WriteStartObject("settings");
        foreach (var (k, v) in r.Repro.Settings) w.WriteString(k, v);
        w.WriteEndObject();
        w.WriteStartArray("inputs");
        foreach (var input in r.Repro.Inputs)
        {
            w.WriteStartArray();
            foreach (var v in input) w.WriteNumberValue(v);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteMeasured(Utf8JsonWriter w, ChipReport r)
    {
        if (r.Timescale is not { } m)
        {
            w.WriteNull("measured_timescale");
            return;
        }
        var t = m.Sweep;
        w.WriteStartObject("measured_timescale");
        w.WriteString("file", m.File);
        w.WriteString("fidelity", t.Fidelity.ToString());
        w.WriteString("design_fingerprint", t.DesignFingerprint);
        w.WriteNumber("capacitance_f", t.Capacitance);
        w.WriteNumber("voltage_scale_v", t.VoltageScale);
        Num(w, "fastest_passing_time_unit_s", t.FastestPassing);
        w.WriteStartArray("time_units");
        foreach (var p in t.Points)
        {
            w.WriteStartObject();
            w.WriteNumber("time_unit_s", p.TimeUnit);
            w.WriteString("verdict", p.Verdict);
            Num(w, "max_output_error", p.MaxOutputError); Num(w, "rms_output_error", p.RmsOutputError); Num(w, "mean_sample_error", p.MeanSampleError);
            Num(w, "tolerance", p.Tolerance);
            if (p.Simulated is { } sim) w.WriteNumber("simulated", sim); else w.WriteNull("simulated");
            if (p.Cases is { } cases) w.WriteNumber("cases", cases); else w.WriteNull("cases");
            if (p.Pass is { } pass) w.WriteBoolean("pass", pass); else w.WriteNull("pass");
            if (ReportView.Buildable(r.Sweep, p.TimeUnit) is { } b) w.WriteBoolean("buildable_estimate", b); else w.WriteNull("buildable_estimate");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteRun(Utf8JsonWriter w, VerificationRun v)
    {
        w.WriteStartObject();
        w.WriteString("fidelity", v.Fidelity.Key);
        w.WriteString("status", v.Status.Text());
        if (v.VerdictFile is not null) w.WriteString("verdict_file", v.VerdictFile);
        if (v.Result is not { } r)
        {
            w.WriteString("reason", v.NotRunReason ?? "");
            w.WriteEndObject();
            return;
        }
        w.WriteBoolean("pass", r.Pass);
        w.WriteString("simulator", r.Simulator);
        w.WriteString("compared_with", v.ComparedWith);
        w.WriteNumber("tolerance", r.Tolerance);
        var rule = r.Rule ?? ToleranceRule.Absolute(r.Tolerance, VerifyOptions.Default.InitialTolerance);
        w.WriteStartObject("bounds");
        w.WriteNumber("output", rule.Output); w.WriteNumber("state_atol", rule.StateAtol); w.WriteNumber("state_rtol", rule.StateRtol); w.WriteNumber("initial", rule.Initial);
        w.WriteEndObject();
        var s = r.Summary;
        w.WriteStartObject("summary");
        w.WriteNumber("cases", s.Cases); w.WriteNumber("simulated", s.Simulated); w.WriteNumber("passed", r.Cases.Count(x => x.Pass));
        Num(w, "max_output_error", s.MaxOutputError); w.WriteNumber("output_bound", r.Tolerance); Num(w, "rms_output_error", s.RmsOutputError);
        Num(w, "argmax_agreement", s.ArgmaxAgreement); Num(w, "min_reference_margin", s.MinReferenceMargin);
        Num(w, "mean_sample_error", s.MeanSampleError); Num(w, "reference_std", s.ReferenceStd); Num(w, "energy_distance", s.EnergyDistance);
        w.WriteBoolean("pass", s.Pass);
        w.WriteStartArray("failures");
        foreach (var f in s.Failures) w.WriteStringValue(f);
        w.WriteEndArray();
        w.WriteEndObject();
        if (r.Supply is { } draw)
        {
            w.WriteStartObject("measured_supply");
            w.WriteNumber("cases", r.SupplyCases);
            VerdictJson.WriteSupply(w, draw, "energy_per_inference_j", "layer_power_w");
            w.WriteEndObject();
        }
        w.WriteStartObject("timescale");
        w.WriteNumber("expected_s", r.Timescale.ExpectedSeconds); w.WriteNumber("simulated_s", r.Timescale.SimulatedSeconds);
        Num(w, "latest_settle_s", r.Timescale.LatestSettleSeconds); w.WriteBoolean("pass", r.Timescale.Pass);
        w.WriteEndObject();
        w.WriteStartArray("cases");
        // Wall-clock times are left out: they would make two identical runs differ.
        foreach (var c in r.Cases)
        {
            w.WriteStartObject();
            w.WriteNumber("index", c.Index); w.WriteString("status", c.Status.ToString()); w.WriteBoolean("pass", c.Pass);
            if (c.Message is not null) w.WriteString("message", c.Message);
            w.WriteStartArray("failures");
            foreach (var f in c.Failures) w.WriteStringValue(f);
            w.WriteEndArray();
            if (c.Errors is { } e)
            {
                w.WriteStartObject("errors");
                Num(w, "initial", e.Initial); Num(w, "boundary", e.Boundary); Num(w, "sample", e.Sample); Num(w, "output", e.Output);
                w.WriteEndObject();
            }
            else w.WriteNull("errors");
            if (c.Bounds is { } b)
            {
                w.WriteStartObject("bounds");
                Num(w, "initial", b.Initial); Num(w, "boundary", b.State); Num(w, "sample", b.State); Num(w, "output", b.Output);
                w.WriteEndObject();
                Num(w, "state_scale", b.StateScale);
            }
            else w.WriteNull("bounds");
            w.WriteNumber("max_node_v", c.Range.MaxNodeVolts); w.WriteNumber("max_device_a", c.Range.MaxDeviceAmps);
            Num(w, "settle_s", c.SettleTime);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void NumOrNull(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    // JSON has no NaN or infinity: an undefined figure is null.
    private static void Num(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
