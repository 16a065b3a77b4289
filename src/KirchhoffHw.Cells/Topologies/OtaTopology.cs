using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells;

/// <summary>
/// Differential pair into two pairs of output mirrors (`ota.sbn`): I(from -> to) = I1 - I2, both signs, tanh-like and
/// linear for small inputs.
/// </summary>
public sealed class OtaTopology : CellTopology
{
    public override string Key => "ota";
    public override string Title => "Ota";
    public override string CellName => "kh_ota";
    public override string Template => "ota.sbn";
    public override int Transistors => 15;
    public override int Pmos => 6;

    /// <summary>The reference branch (1), the pair (1) and, at balance, two mirror branches of I/2 per output side (2).</summary>
    public override double SupplyFactor => 4.0;

    public override IReadOnlyList<(Shape Shape, Operation Operation)> Realizes { get; } =
        [(Shape.Tanh, Operation.Tanh), (Shape.Identity, Operation.Linear)];

    /// <summary>to - from = (1 - n) x (I1 + I2), n the nMOS mirror gain and I1 + I2 about the unit bias: trim the nMOS outputs by 1 / n.</summary>
    public override double OutputRatio(double[] y, double[] to, double[] from)
    {
        double mismatch = y.Select((_, i) => to[i] - from[i]).Average();
        double sum = y.Select((_, i) => Math.Abs(to[i]) + Math.Abs(from[i])).Max() / 2;
        return 1 / (1 - mismatch / Math.Max(sum, 0.5));
    }
}
