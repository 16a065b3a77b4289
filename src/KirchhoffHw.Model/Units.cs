namespace KirchhoffHw.Model;

/// <summary>
/// Maps the dimensionless model onto a physical circuit. A model time of 1 is <see cref="TimeUnit"/> seconds,
/// a model voltage of 1 is <see cref="VoltageScale"/> volts, every node has <see cref="Capacitance"/> farads.
/// From C dv/dt = I: a device current in model units becomes C * VoltageScale / TimeUnit amperes, so the
/// physical circuit at t = T * TimeUnit is the model at T. The paper's defaults are 1 F, 1 s, 1 V.
/// </summary>
public sealed record Units(double Capacitance = 1.0, double TimeUnit = 1.0, double VoltageScale = 1.0)
{
    public static readonly Units Paper = new();

    /// <summary>Amperes per model current unit.</summary>
    public double CurrentScale => Capacitance * VoltageScale / TimeUnit;

    public IEnumerable<string> Problems()
    {
        if (!(Capacitance > 0 && double.IsFinite(Capacitance))) yield return $"capacitance must be a positive finite number of farads, got {Capacitance}";
        if (!(TimeUnit > 0 && double.IsFinite(TimeUnit))) yield return $"time unit must be a positive finite number of seconds, got {TimeUnit}";
        if (!(VoltageScale > 0 && double.IsFinite(VoltageScale))) yield return $"voltage scale must be a positive finite number of volts, got {VoltageScale}";
    }
}

/// <summary>
/// A voltage scale chosen from the design's own dynamic range (`--voltage-scale auto`): the largest |state| the
/// reference reaches on the run's inputs, placed a stated margin inside the supply's allowed swing, so that every node
/// stays inside the rails. Recorded wherever units are, so a reader sees where the number came from.
/// </summary>
/// <param name="Volts">The chosen volts per model voltage unit.</param>
/// <param name="Margin">Fraction of the allowed swing left unused (0.1 = every node within 90 % of it).</param>
/// <param name="PeakModelVoltage">Largest |node voltage| of the reference on the inputs, model units.</param>
/// <param name="AllowedSwingVolts">Largest |node voltage| the supply allows (min(Vdd, -Vss) for split rails).</param>
/// <param name="Supply">Whose rails: the technology's name.</param>
public sealed record VoltageScaleChoice(double Volts, double Margin, double PeakModelVoltage, double AllowedSwingVolts, string Supply)
{
    /// <summary>(1 - margin) x allowed swing / peak; a design that never leaves 0 V keeps 1 V per unit.</summary>
    public static VoltageScaleChoice Fit(double peakModelVoltage, double allowedSwingVolts, double margin, string supply)
    {
        if (!(margin >= 0 && margin < 1)) throw new ArgumentOutOfRangeException(nameof(margin), margin, "the margin is a fraction in [0, 1)");
        double volts = peakModelVoltage > 0 ? (1 - margin) * allowedSwingVolts / peakModelVoltage : 1.0;
        return new VoltageScaleChoice(volts, margin, peakModelVoltage, allowedSwingVolts, supply);
    }

    public string Describe() => System.FormattableString.Invariant(
        $"voltage scale {Volts:G4} V chosen automatically: (1 - {Margin * 100:G3} % margin) x {AllowedSwingVolts:G4} V allowed swing of {Supply} / {PeakModelVoltage:G6} (largest |state| of the reference on the inputs, model units)");
}
