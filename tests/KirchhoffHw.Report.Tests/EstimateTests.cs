using System.Text.Json;

namespace KirchhoffHw.Report.Tests;

/// <summary>
/// Every estimate in report.json, recomputed here from the report's own counts and inputs by the formula the
/// report states. Written independently of the estimator so a wrong formula or a wrong input fails.
/// </summary>
public class EstimateTests
{
    private static IEnumerable<string> All() => ["spiral", "twomoon", "mnist"];

    private static JsonElement Report(string name) => Reports.Json(name switch { "spiral" => Reports.Spiral, "twomoon" => Reports.Twomoon, _ => Reports.Mnist });

    private static void Close(double actual, double expected, string what) =>
        Assert.That(actual, Is.EqualTo(expected).Within(1e-12 * Math.Max(Math.Abs(expected), 1e-300)), what);

    [TestCaseSource(nameof(All))]
    public void When_Recomputing_Estimates_From_The_Json_Expect_The_Reported_Values(string name)
    {
        var r = Report(name);
        var e = r.GetProperty("estimates").EnumerateArray().ToDictionary(x => x.GetProperty("key").GetString()!, x => x.GetProperty("value").GetDouble());
        var c = r.GetProperty("counts");
        var x = r.GetProperty("inputs");
        var u = r.GetProperty("units");
        double C = u.GetProperty("capacitance_f").GetDouble(), tau = u.GetProperty("time_unit_s").GetDouble();
        double vdd = x.GetProperty("vdd_v").GetDouble(), vss = x.GetProperty("vss_v").GetDouble(), span = vdd - vss;
        var layers = c.GetProperty("layers").EnumerateArray().ToList();
        double D(JsonElement o, string k) => o.GetProperty(k).GetDouble();

        // Counts that the formulas use are themselves consistent.
        long nodes = c.GetProperty("nodes").GetInt64();
        long pre = nodes * x.GetProperty("precharge_switches_per_node").GetInt64();
        Assert.That(c.GetProperty("precharge_switches").GetInt64(), Is.EqualTo(pre));
        Assert.That(c.GetProperty("switches").GetInt64(), Is.EqualTo(pre + layers.Sum(l => l.GetProperty("phase_switches").GetInt64())));
        Assert.That(c.GetProperty("transistors").GetInt64(),
            Is.EqualTo(layers.Sum(l => l.GetProperty("transistors").GetInt64()) + pre * x.GetProperty("transistors_per_precharge_switch").GetInt64()));

        double aCells = layers.Sum(l => D(l, "cell_area_m2"));
        double aSw = pre * x.GetProperty("transistors_per_precharge_switch").GetInt64() * D(x, "switch_area_m2");
        double aCap = nodes * C / D(x, "capacitor_density_f_per_m2");
        Close(e["area_cells_m2"], aCells, "A_cells");
        Close(e["area_switches_m2"], aSw, "A_sw");
        Close(e["area_capacitors_m2"], aCap, "A_cap");
        Close(e["area_total_m2"], (aCells + aSw + aCap) * (1 + D(x, "routing_overhead")), "A");

        Close(e["power_static_w"], layers.Max(l => D(l, "supply_current_a")) * span, "P_static");
        double eStatic = layers.Sum(l => D(l, "supply_current_a") * (D(l, "t_end") - D(l, "t_start"))) * tau * span;
        double ePre = nodes * C * span * span;
        double eSw = c.GetProperty("switches").GetInt64() * D(x, "switch_gate_capacitance_f") * span * span;
        double eRead = c.GetProperty("outputs").GetInt64() * D(x, "readout_energy_per_output_j");
        Close(e["energy_static_j"], eStatic, "E_static");
        Close(e["energy_precharge_j"], ePre, "E_pre");
        Close(e["energy_switching_j"], eSw, "E_sw");
        Close(e["energy_readout_j"], eRead, "E_read");
        double energy = eStatic + ePre + eSw + eRead;
        Close(e["energy_per_inference_j"], energy, "E");
        double t = D(x, "precharge_time_constants") * D(x, "switch_on_resistance_ohm") * C + D(layers[^1], "t_end") * tau + D(x, "readout_time_s");
        Close(e["latency_s"], t, "latency");
        Close(e["power_average_w"], energy / t, "P_avg");
        Close(e["throughput_per_s"], 1 / t, "throughput");
        Close(e["device_bias_max_a"], layers.Max(l => D(l, "max_device_bias_a")), "largest bias");
        Assert.That(e["devices_out_of_range"], Is.EqualTo(layers.Sum(l => l.GetProperty("out_of_range").GetInt64())));
        Assert.That(r.GetProperty("bias_feasible").GetBoolean(), Is.EqualTo(e["devices_out_of_range"] == 0));

        // Every estimate lists the value of each symbol it used, and those agree with the report's inputs.
        foreach (var est in r.GetProperty("estimates").EnumerateArray())
        {
            Assert.That(est.GetProperty("formula").GetString(), Is.Not.Empty);
            foreach (var input in est.GetProperty("inputs").EnumerateObject())
                switch (input.Name)
                {
                    case "C": Close(input.Value.GetDouble(), C, $"{est.GetProperty("key")}: C"); break;
                    case "tau": Close(input.Value.GetDouble(), tau, $"{est.GetProperty("key")}: tau"); break;
                    case "Vdd": Close(input.Value.GetDouble(), vdd, "Vdd"); break;
                    case "Vss": Close(input.Value.GetDouble(), vss, "Vss"); break;
                }
        }
    }

    [TestCaseSource(nameof(All))]
    public void When_Recomputing_The_Digital_Comparison_Expect_The_Reported_Values(string name)
    {
        var r = Report(name);
        var d = r.GetProperty("digital");
        int nodes = r.GetProperty("counts").GetProperty("nodes").GetInt32();
        int perNode = d.GetProperty("ops_per_node_per_evaluation").GetInt32();
        double ops = 0;
        foreach (var l in d.GetProperty("layers").EnumerateArray())
        {
            double perEval = l.GetProperty("devices").GetInt64() * (double)l.GetProperty("ops_per_device").GetInt32() + nodes * (double)perNode;
            Close(l.GetProperty("ops_per_evaluation").GetDouble(), perEval, "ops per evaluation");
            Assert.That(l.GetProperty("evaluations_per_case").GetDouble(), Is.GreaterThan(0), "the reference made evaluations in every layer");
            ops += l.GetProperty("evaluations_per_case").GetDouble() * perEval;
        }
        Close(d.GetProperty("ops_per_inference").GetDouble(), ops, "ops");
        Close(d.GetProperty("energy_per_inference_j").GetDouble(), ops * d.GetProperty("energy_per_op_j").GetDouble(), "E_digital");
        Close(d.GetProperty("time_per_inference_s").GetDouble(), ops / d.GetProperty("ops_per_second").GetDouble(), "t_digital");
        var headline = r.GetProperty("headlines").EnumerateArray().First(h => h.GetProperty("key").GetString() == "digital_energy_ratio");
        double chip = r.GetProperty("estimates").EnumerateArray().First(h => h.GetProperty("key").GetString() == "energy_per_inference_j").GetProperty("value").GetDouble();
        Close(headline.GetProperty("value").GetDouble(), ops * d.GetProperty("energy_per_op_j").GetDouble() / chip, "ratio");
    }

    [TestCaseSource(nameof(All))]
    public void When_Sweeping_The_Time_Unit_Expect_Every_Decade_And_Latency_By_Formula(string name)
    {
        var r = Report(name);
        var x = r.GetProperty("inputs");
        double C = r.GetProperty("units").GetProperty("capacitance_f").GetDouble();
        double T = r.GetProperty("counts").GetProperty("layers").EnumerateArray().Last().GetProperty("t_end").GetDouble();
        var sweep = r.GetProperty("sweep").EnumerateArray().ToList();
        Assert.That(sweep.Select(p => p.GetProperty("time_unit_s").GetDouble()), Is.EqualTo(Enumerable.Range(3, 10).Select(k => Math.Pow(10, -k))).Within(1e-12).Percent);
        double? last = null;
        foreach (var p in sweep)
        {
            double tau = p.GetProperty("time_unit_s").GetDouble();
            Close(p.GetProperty("latency_s").GetDouble(),
                x.GetProperty("precharge_time_constants").GetDouble() * x.GetProperty("switch_on_resistance_ohm").GetDouble() * C + T * tau + x.GetProperty("readout_time_s").GetDouble(), "sweep latency");
            // A faster time unit asks every device for at least as much current.
            double bias = p.GetProperty("device_bias_max_a").GetDouble();
            if (last is { } prev) Assert.That(bias, Is.GreaterThanOrEqualTo(prev * (1 - 1e-12)));
            last = bias;
        }
        var here = sweep.Single(p => Math.Abs(Math.Log10(p.GetProperty("time_unit_s").GetDouble() / r.GetProperty("units").GetProperty("time_unit_s").GetDouble())) < 1e-9);
        var e = r.GetProperty("estimates").EnumerateArray().ToDictionary(v => v.GetProperty("key").GetString()!, v => v.GetProperty("value").GetDouble());
        Close(here.GetProperty("energy_per_inference_j").GetDouble(), e["energy_per_inference_j"], "sweep at this report's time unit = the estimate");
    }
}
