using KirchhoffHw.Model;

namespace KirchhoffHw.Report;

/// <summary>One estimated figure with the formula that gives it and the value of every symbol in that formula.</summary>
public sealed record Estimate(EstimateKey Key, string Name, double Value, string Unit, string Formula, IReadOnlyList<(string Symbol, double Value)> Inputs);

/// <summary>Figures at one time unit, holding the capacitance fixed: what a faster or slower chip would need and cost.</summary>
/// <param name="DeviceCurrent">Largest bias current a device asks for (A), before any clamping.</param>
/// <param name="MinDeviceBias">Smallest bias current a device with a cell asks for (A), before any clamping.</param>
/// <param name="OutOfRange">Devices the cell sizing cannot build at this time unit (<c>CellLibrary.Size</c> and its problem): feasible exactly when 0.</param>
/// <param name="SizingFloor">Smallest bias the sizing builds, seen where it raised a part to it; NaN when no part was raised.</param>
/// <param name="SizingCeiling">Largest bias the sizing builds, seen where it lowered a part to it; NaN when none was lowered.</param>
/// <param name="MinPartBias">Smallest non-zero bias any one part of a cell asks for (A); <paramref name="MaxPartBias"/> the largest. The sizing limits parts, so these decide feasibility.</param>
/// <param name="Clamped">True when some device is built at a limit instead of its own bias: its static power no longer follows 1/tau.</param>
public sealed record SweepPoint(double TimeUnit, double DeviceCurrent, bool Feasible, double StaticPower, double EnergyPerInference,
    double Latency, double AveragePower, double Throughput, double MinDeviceBias, long OutOfRange, double SizingFloor, double SizingCeiling, string? Limit,
    double MinPartBias, double MaxPartBias)
{
    public bool Clamped => OutOfRange > 0;
}

/// <summary>
/// Chip-level estimates from counts, units and stated inputs. Every figure is a closed formula over numbers that
/// the report prints (and report.json stores), so a reader or a test can recompute each one. Without sized cells
/// (<see cref="DesignCounts.Sized"/>) the figures that need a cell's bias or area are left out.
/// </summary>
public static class ChipEstimator
{
    /// <summary>Time units of the sweep: every decade from 1 ms to 1 ps.</summary>
    public static IReadOnlyList<double> SweepTimeUnits { get; } = Enumerable.Range(3, 10).Select(e => Math.Pow(10, -e)).ToList();

    public static IReadOnlyList<Estimate> Compute(DesignCounts counts, Units units, EstimateInputs x)
    {
        double c = units.Capacitance, tau = units.TimeUnit, supply = x.Supply;
        double tEnd = counts.Layers.Count == 0 ? 0 : counts.Layers[^1].TEnd;
        var list = new List<Estimate>();
        Estimate Add(EstimateKey key, string name, double value, string unit, string formula, params (string, double)[] inputs)
        {
            var e = new Estimate(key, name, value, unit, formula, inputs);
            list.Add(e);
            return e;
        }

        bool sized = counts.Sized;
        if (sized)
        {
            Add(EstimateKey.DeviceBiasMax, "Largest bias current of a device", counts.Layers.Select(l => l.Costs.MaxDeviceBias).DefaultIfEmpty(0).Max(), "A",
                "max over layers l of I_max,l   (counts.layers[].max_device_bias_a)");
            Add(EstimateKey.DevicesOutOfRange, "Devices outside the bias range", counts.OutOfRange ?? 0, "",
                "sum over layers l of n_out,l   (counts.layers[].out_of_range)");
        }

        double cellArea = counts.Layers.Sum(l => l.Costs.CellArea);
        if (sized) Add(EstimateKey.AreaCells, "Device cell area", cellArea, "m^2", "A_cells = sum over layers l of A_l   (counts.layers[].cell_area_m2)");
        double switchArea = Add(EstimateKey.AreaSwitches, "Precharge switch area", counts.PrechargeTransistors * x.SwitchAreaM2, "m^2",
            "A_sw = N_pre * T_pre * A_swt   (phase switches sit inside the cells)",
            ("N_pre", counts.PrechargeSwitches), ("T_pre", counts.TransistorsPerPrechargeSwitch), ("A_swt", x.SwitchAreaM2)).Value;
        double capArea = Add(EstimateKey.AreaCapacitors, "Capacitor area", counts.Capacitors * c / x.CapacitorDensity, "m^2", "A_cap = N_cap * C / rho_C",
            ("N_cap", counts.Capacitors), ("C", c), ("rho_C", x.CapacitorDensity)).Value;
        if (sized)
            Add(EstimateKey.AreaTotal, "Chip area", (cellArea + switchArea + capArea) * (1 + x.RoutingOverhead), "m^2",
                "A = (A_cells + A_sw + A_cap) * (1 + r_route)",
                ("A_cells", cellArea), ("A_sw", switchArea), ("A_cap", capArea), ("r_route", x.RoutingOverhead));

        double busiest = counts.Layers.Select(l => l.Costs.SupplyCurrent).DefaultIfEmpty(0).Max();
        double chargePerTau = counts.Layers.Sum(l => l.Costs.SupplyCurrent * (l.TEnd - l.TStart));
        double eStatic = chargePerTau * tau * supply;
        if (sized)
        {
            Add(EstimateKey.PowerStatic, "Static power (busiest layer)", busiest * supply, "W",
                "P_static = max over layers l of I_l * (Vdd - Vss)   (only the active bank is biased; I_l = counts.layers[].supply_current_a)",
                ("I_max", busiest), ("Vdd", x.Vdd), ("Vss", x.Vss));
            Add(EstimateKey.EnergyStatic, "Static energy per inference", eStatic, "J",
                "E_static = sum over layers l of I_l * (t_end,l - t_start,l) * tau * (Vdd - Vss)",
                ("sum I_l*dt_l", chargePerTau), ("tau", tau), ("Vdd", x.Vdd), ("Vss", x.Vss));
        }
        double ePre = Add(EstimateKey.EnergyPrecharge, "Precharge energy per inference", counts.Capacitors * c * supply * supply, "J",
            "E_pre = N_cap * C * (Vdd - Vss)^2   (bound: charging a node anywhere within the rails from the supply)",
            ("N_cap", counts.Capacitors), ("C", c), ("Vdd", x.Vdd), ("Vss", x.Vss)).Value;
        double eSw = Add(EstimateKey.EnergySwitching, "Switching energy per inference", counts.Switches * x.SwitchGateCapacitance * supply * supply, "J",
            "E_sw = N_sw * C_g * (Vdd - Vss)^2   (every phase and precharge switch turns on and off once per inference)",
            ("N_sw", counts.Switches), ("C_g", x.SwitchGateCapacitance), ("Vdd", x.Vdd), ("Vss", x.Vss)).Value;
        double eRead = Add(EstimateKey.EnergyReadout, "Read-out energy per inference", counts.Outputs * x.ReadoutEnergyPerOutput, "J",
            "E_read = N_out * E_adc", ("N_out", counts.Outputs), ("E_adc", x.ReadoutEnergyPerOutput)).Value;
        double energy = eStatic + ePre + eSw + eRead;
        if (sized)
            Add(EstimateKey.EnergyPerInference, "Energy per inference", energy, "J",
                "E = E_static + E_pre + E_sw + E_read", ("E_static", eStatic), ("E_pre", ePre), ("E_sw", eSw), ("E_read", eRead));

        double latency = Add(EstimateKey.Latency, "Latency per inference", x.PrechargeTimeConstants * x.SwitchOnResistance * c + tEnd * tau + x.ReadoutTime, "s",
            "t = k_pre * R_on * C + T * tau + t_adc",
            ("k_pre", x.PrechargeTimeConstants), ("R_on", x.SwitchOnResistance), ("C", c), ("T", tEnd), ("tau", tau), ("t_adc", x.ReadoutTime)).Value;
        if (sized) Add(EstimateKey.PowerAverage, "Average power", energy / latency, "W", "P_avg = E / t", ("E", energy), ("t", latency));
        Add(EstimateKey.Throughput, "Throughput", 1 / latency, "1/s", "1 / t   (one inference at a time)", ("t", latency));
        return list;
    }

    /// <summary>
    /// The estimates again at every time unit of <see cref="SweepTimeUnits"/>, every device's cell sized again at each by the
    /// same rules as the report's own cells (<see cref="ICellCosts.Cost"/>: the cell library's sizing), so a decade is
    /// feasible exactly when every device can be built there. Required biases scale as 1/tau; built ones stop at the
    /// sizing's limits. Empty without sized cells, since every figure of the sweep follows from the cells' bias.
    /// </summary>
    public static IReadOnlyList<SweepPoint> Sweep(Design design, ICellCosts cells, EstimateInputs x) => !cells.Sized ? [] :
        SweepTimeUnits.Select(tau =>
        {
            var counts = DesignCounts.Of(design.With(units: design.Units with { TimeUnit = tau }), cells, x);
            var e = Compute(counts, design.Units with { TimeUnit = tau }, x).ToDictionary(v => v.Key, v => v.Value);
            var built = counts.Layers.Where(l => l.Costs.Transistors > 0).ToList();
            return new SweepPoint(tau, e[EstimateKey.DeviceBiasMax], counts.OutOfRange == 0, e[EstimateKey.PowerStatic],
                e[EstimateKey.EnergyPerInference], e[EstimateKey.Latency], e[EstimateKey.PowerAverage], e[EstimateKey.Throughput],
                built.Select(l => l.Costs.MinDeviceBias).DefaultIfEmpty(0).Min(), counts.OutOfRange ?? 0,
                counts.Layers.Select(l => l.Costs.SizingFloor).Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Max(),
                counts.Layers.Select(l => l.Costs.SizingCeiling).Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Min(),
                counts.Layers.Select(l => l.Costs.Limit).FirstOrDefault(t => t is not null),
                counts.Layers.Select(l => l.Costs.MinPartBias).Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Min(),
                counts.Layers.Select(l => l.Costs.MaxPartBias).Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Max());
        }).ToList();

    /// <summary>
    /// What the sweep says about time units as a sentence: where the chip can be built, or, where no decade can, which
    /// limit binds (the sizing's smallest or largest bias, or the spread of the devices' biases against the two).
    /// </summary>
    public static string SweepVerdict(IReadOnlyList<SweepPoint> sweep)
    {
        if (sweep.Count == 0) return "";
        var ok = sweep.Where(p => p.Feasible).ToList();
        if (ok.Count > 0)
            return $"Every device can be built at time units from {Format.Quantity(ok.Min(p => p.TimeUnit), "s")} to {Format.Quantity(ok.Max(p => p.TimeUnit), "s")}" +
                (ok.Count < sweep.Count ? $" ({ok.Count} of {sweep.Count} decades)." : " (every decade).");
        double floor = sweep.Select(p => p.SizingFloor).Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Max();
        double ceiling = sweep.Select(p => p.SizingCeiling).Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Min();
        // Required biases all scale as 1/tau, so their spread is the same at every decade.
        var any = sweep[0];
        double spread = any.MinPartBias > 0 ? any.MaxPartBias / any.MinPartBias : double.PositiveInfinity;
        string limit = sweep.Select(p => p.Limit).FirstOrDefault(t => t is not null) is { } l ? $" (the sizing: {l})" : "";
        if (!double.IsNaN(floor) && !double.IsNaN(ceiling))
        {
            double window = ceiling / floor;
            if (spread > window)
                return $"No time unit can build every device: their cells' parts ask for biases spanning {Format.Number(spread)}:1, while the cell sizing builds only " +
                    $"{Format.Quantity(floor, "A")} to {Format.Quantity(ceiling, "A")} ({Format.Number(window)}:1){limit}.";
            double slowest = any.TimeUnit * any.MinPartBias / floor, fastest = any.TimeUnit * any.MaxPartBias / ceiling;
            return $"No decade can build every device, but time units from {Format.Quantity(fastest, "s")} to {Format.Quantity(slowest, "s")} can: " +
                $"the parts' biases ({Format.Number(spread)}:1) fit between the sizing's {Format.Quantity(floor, "A")} and {Format.Quantity(ceiling, "A")}.";
        }
        if (!double.IsNaN(floor))
            return $"No decade can build every device: at each, some device needs less than the smallest bias the cell sizing builds, {Format.Quantity(floor, "A")}{limit}.";
        if (!double.IsNaN(ceiling))
            return $"No decade can build every device: at each, some device needs more than the largest bias the cell sizing builds, {Format.Quantity(ceiling, "A")}{limit}.";
        return "No decade can build every device.";
    }
}
