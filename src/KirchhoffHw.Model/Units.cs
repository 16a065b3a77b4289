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
