using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells;

/// <summary>The OTA's transconductor into a one-sided current switch (`rect.sbn`): max(I1 - I2, 0) from `from` to `to`.</summary>
public sealed class RectifierTopology : CellTopology
{
    public override string Key => "rectifier";
    public override string Title => "Rectifier";
    public override string CellName => "kh_rect";
    public override string Template => "rect.sbn";
    public override int Transistors => 16;
    public override int Pmos => 6;

    /// <summary>The reference branch (1), the pair (1) and the two input mirrors (1 together); the output mirrors carry nothing at rest.</summary>
    public override double SupplyFactor => 3.0;

    public override IReadOnlyList<(Shape Shape, Operation Operation)> Realizes { get; } = [(Shape.Relu, Operation.Linear)];

    /// <summary>`to` is a pMOS copy of the current `from` carries: trim its gain to 1 where the switch conducts.</summary>
    public override double OutputRatio(double[] y, double[] to, double[] from)
    {
        var on = Enumerable.Range(0, y.Length).Where(i => from[i] > 0.3).ToList();
        return on.Count > 0 ? on.Average(i => from[i] / to[i]) : 1;
    }
}
