using KirchhoffHw.Model;

namespace KirchhoffHw.Report;

/// <summary>One layer's bank in silicon at given units: its devices' supply current when active, their cell area, counts.</summary>
/// <param name="SupplyCurrent">Sum over the bank's devices of each cell's quiescent supply current (A) while the bank conducts.</param>
/// <param name="CellArea">Sum over the bank's devices of each cell's layout area (m^2).</param>
/// <param name="OutOfRange">Devices whose bias current falls outside what the technology can build (they are built clamped); null when the cells are not sized.</param>
/// <param name="MinDeviceBias">Smallest bias current (A) a device with a cell asks for, before any clamping.</param>
/// <param name="MaxDeviceBias">Largest bias current (A) a device asks for, before any clamping.</param>
/// <param name="SizingFloor">The bias (A) the cell sizing raised a part to that asked for less: the smallest it can build; NaN when no part was raised.</param>
/// <param name="SizingCeiling">The bias (A) it lowered a part to that asked for more: the largest it can build; NaN when none was lowered.</param>
/// <param name="Limit">What the sizing said of one clamped part (its limits and why), or null.</param>
/// <param name="MinPartBias">Smallest non-zero bias (A) any single part of a cell asks for (a leaky ReLU's 1 % part is far below its device's tail sum).</param>
/// <param name="MaxPartBias">Largest bias (A) any single part asks for.</param>
/// <remarks>Without sized cells (<see cref="ICellCosts.Sized"/> false) the currents, areas and biases are NaN: unknown, not zero.</remarks>
public sealed record LayerCosts(double SupplyCurrent, double CellArea, long Transistors, long PhaseSwitches, long? OutOfRange, double MinDeviceBias, double MaxDeviceBias,
    double SizingFloor = double.NaN, double SizingCeiling = double.NaN, string? Limit = null, double MinPartBias = double.NaN, double MaxPartBias = double.NaN);

/// <summary>
/// What devices cost in a technology. The cell library of a characterized technology sizes each device from its
/// trained parameters; <see cref="UniformCells"/> uses stated per-model figures and one bias current for all.
/// </summary>
public interface ICellCosts
{
    /// <summary>Where the figures come from, printed in the report.</summary>
    string Origin { get; }
    int TransistorsPerDevice(string model);
    int PhaseSwitchesPerDevice(string model);
    /// <param name="index">The layer's position in the design (cells may be sized per layer).</param>
    LayerCosts Cost(int index, Layer layer, Units units);

    /// <summary>False when cells are counted but not sized (no characterized library): bias, supply current and area are unknown.</summary>
    bool Sized => true;
}

/// <summary>
/// Cells counted but not sized: every device gets its model's cell (<see cref="EstimateInputs.Cells"/>: transistors and
/// switches follow from the topologies alone), while everything that needs a characterized cell is unknown.
/// </summary>
public sealed class UnsizedCells(EstimateInputs inputs) : ICellCosts
{
    public string Origin => "cell topologies per device model (inputs.cells); not sized: no characterized cells in this run";
    public bool Sized => false;
    public int TransistorsPerDevice(string model) => inputs.Cell(model).TransistorsPerDevice;
    public int PhaseSwitchesPerDevice(string model) => inputs.Cell(model).SwitchesPerDevice;

    public LayerCosts Cost(int index, Layer layer, Units units)
    {
        var cell = inputs.Cell(layer.Model.Name);
        long n = layer.Edges.Count;
        return new LayerCosts(double.NaN, double.NaN, n * cell.TransistorsPerDevice, n * cell.SwitchesPerDevice, null, double.NaN, double.NaN);
    }
}

/// <summary>
/// Every device of a model costs the same: stated transistors, switches and transistor area per model, and a
/// bias current that lets every cell deliver the largest current any device carries on the reference
/// trajectories (I_dev = I_pk x C x V_s / tau). Used when no characterized cell library is at hand.
/// </summary>
public sealed class UniformCells(EstimateInputs inputs, double peakModelCurrent) : ICellCosts
{
    public string Origin => "stated per-model figures (inputs.cells), bias I_dev = I_pk * C * V_s / tau for every device";
    public int TransistorsPerDevice(string model) => inputs.Cell(model).TransistorsPerDevice;
    public int PhaseSwitchesPerDevice(string model) => inputs.Cell(model).SwitchesPerDevice;

    public LayerCosts Cost(int index, Layer layer, Units units)
    {
        var cell = inputs.Cell(layer.Model.Name);
        long n = layer.Edges.Count;
        double bias = peakModelCurrent * units.CurrentScale;
        bool ok = bias >= inputs.MinBiasCurrent && bias <= inputs.MaxBiasCurrent;
        return new LayerCosts(n * bias, n * cell.TransistorsPerDevice * cell.TransistorAreaM2, n * cell.TransistorsPerDevice,
            n * cell.SwitchesPerDevice, ok ? 0 : n, bias, bias);
    }
}
