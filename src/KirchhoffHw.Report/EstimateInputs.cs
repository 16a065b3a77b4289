namespace KirchhoffHw.Report;

/// <summary>What one device of a model costs in silicon: its cell's transistors, its gating switches, its area.</summary>
/// <param name="TransistorAreaM2">Area of one transistor of the cell (the technology's area rule at the cell's W and L).</param>
/// <param name="Origin">Where the figures come from (a cell library entry, or "stated" when given by hand).</param>
public sealed record CellFigures(string Model, int TransistorsPerDevice, int SwitchesPerDevice, double TransistorAreaM2, string Origin);

/// <summary>The digital machine a forward pass is compared with: its sustained rate and energy per operation.</summary>
public sealed record DigitalMachine(string Name, double OpsPerSecond, double EnergyPerOpJ, string Basis)
{
    /// <summary>
    /// NVIDIA A100 SXM4 at its datasheet peak of 19.5 TFLOP/s FP32 (non-tensor) and 400 W board power: 20.5 pJ per
    /// operation. Peak rate at full power is the most favourable case for the GPU, so the comparison is a lower bound
    /// on the digital cost.
    /// </summary>
    public static readonly DigitalMachine A100 = new("NVIDIA A100 SXM4, FP32", 19.5e12, 400.0 / 19.5e12,
        "datasheet peak 19.5 TFLOP/s FP32 at 400 W board power (energy per op = 400 W / 19.5e12 op/s)");
}

/// <summary>
/// Every number the chip-level estimates use besides the design's counts and units. A technology (with its cell
/// library) fills the electrical and area figures; the rest are stated assumptions with defaults written into
/// every report, so a reader can redo any estimate by hand from the report alone.
/// </summary>
public sealed record EstimateInputs
{
    public string TechName { get; init; } = "";
    public string TechSource { get; init; } = "";
    public string Corner { get; init; } = "";

    /// <summary>Supply rails (V).</summary>
    public double Vdd { get; init; }
    public double Vss { get; init; }

    /// <summary>Bias current range a cell of this technology can be built for (A): outside it, a device is infeasible.</summary>
    public double MinBiasCurrent { get; init; }
    public double MaxBiasCurrent { get; init; }

    /// <summary>Capacitance per area of the node capacitors (F/m^2).</summary>
    public double CapacitorDensity { get; init; }

    public IReadOnlyList<CellFigures> Cells { get; init; } = [];

    /// <summary>Area of one switch transistor (m^2) and the gate capacitance (F) every switch toggles on and off once per inference.</summary>
    public double SwitchAreaM2 { get; init; }
    public double SwitchGateCapacitance { get; init; }

    /// <summary>Switches that precharge each node to its input before release, and transistors per switch (a transmission gate: 2).</summary>
    public int PrechargeSwitchesPerNode { get; init; } = 1;
    public int TransistorsPerPrechargeSwitch { get; init; } = 2;

    /// <summary>Wiring and spacing added on top of transistor and capacitor area, as a fraction of it.</summary>
    public double RoutingOverhead { get; init; } = 0.3;

    /// <summary>Precharge lasts this many R_on x C time constants (5 leaves e^-5 = 0.7 % of the step).</summary>
    public double SwitchOnResistance { get; init; } = 1e3;
    public double PrechargeTimeConstants { get; init; } = 5;

    /// <summary>One ADC conversion per output, all outputs in parallel: its time (s) and energy (J).</summary>
    public double ReadoutTime { get; init; } = 10e-9;
    public double ReadoutEnergyPerOutput { get; init; } = 1e-12;

    public DigitalMachine Digital { get; init; } = DigitalMachine.A100;

    public double Supply => Vdd - Vss;

    public CellFigures Cell(string model) =>
        Cells.FirstOrDefault(c => c.Model == model)
        ?? throw new Model.KirchhoffHwException(TechSource.Length > 0 ? TechSource : "<estimate inputs>", $"no cell figures for device model {model}");

    public IEnumerable<string> Problems()
    {
        if (!(Vdd > Vss)) yield return $"Vdd ({Vdd} V) must be above Vss ({Vss} V)";
        if (!(MinBiasCurrent > 0 && MaxBiasCurrent > MinBiasCurrent)) yield return $"bias range [{MinBiasCurrent}, {MaxBiasCurrent}] A must be positive and non-empty";
        if (!(CapacitorDensity > 0)) yield return $"capacitor density must be positive, got {CapacitorDensity} F/m^2";
        if (!(RoutingOverhead >= 0)) yield return $"routing overhead must be non-negative, got {RoutingOverhead}";
        foreach (var c in Cells)
            if (c.TransistorsPerDevice < 0 || c.SwitchesPerDevice < 0 || !(c.TransistorAreaM2 > 0))
                yield return $"cell {c.Model}: counts must be non-negative and the transistor area positive";
    }
}
