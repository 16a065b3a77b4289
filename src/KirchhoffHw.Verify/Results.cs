using KirchhoffHw.Model;
using KirchhoffHw.Simulate;

namespace KirchhoffHw.Verify;

/// <summary>Circuit trajectory of one case in model units (volts / voltage scale, seconds / time unit).</summary>
public sealed record CircuitCase(
    double[] Initial,
    IReadOnlyList<(double T, double[] State)> Boundaries,
    IReadOnlyList<(double T, double[] State)> Samples,
    double[] Output,
    double LastTime);

/// <summary>Errors, in model units, of one case against the reference.</summary>
public sealed record CaseErrors(double Initial, double Boundary, double Sample, double Output);

/// <summary>
/// What the circuit drew from its supply rails in one inference, measured in the simulation: the energy over [0, T] and
/// each layer's mean power (sum over rails of V x the current it delivers). Only decks whose cells name their rails
/// (transistor fidelity) have it; the bias references and precharge sources are ideal and not counted.
/// </summary>
public sealed record SupplyDraw(double EnergyJoules, double[] LayerPowerWatts)
{
    public double BusiestLayerWatts => LayerPowerWatts.DefaultIfEmpty(0).Max();
}

/// <summary>Physical extremes along the circuit's trajectory: what the rails and bias currents must allow.</summary>
public sealed record DynamicRange(double MaxNodeVolts, double MaxDeviceAmps)
{
    public static readonly DynamicRange Zero = new(0, 0);
    public DynamicRange Max(DynamicRange o) => new(Math.Max(MaxNodeVolts, o.MaxNodeVolts), Math.Max(MaxDeviceAmps, o.MaxDeviceAmps));
}

/// <summary>
/// The verdict of one case. A case that could not be simulated carries the simulator's status and message
/// and no circuit data; it fails, and the run goes on with the next case. <see cref="TimePoints"/> is how many
/// time points the simulator kept: with <see cref="ElapsedSeconds"/> it tells a slow run's cost per point.
/// <see cref="Bounds"/> are what <see cref="Errors"/> were held to (null when the case has no errors, or in a verdict
/// file written before states had bounds of their own: <see cref="VerifyReport.Rule"/> then says what they were).
/// </summary>
public sealed record CaseVerdict(
    int Index,
    double[] Input,
    SimulationStatus Status,
    string? Message,
    bool Pass,
    IReadOnlyList<string> Failures,
    double[] ReferenceOutput,
    CircuitCase? Circuit,
    CaseErrors? Errors,
    DynamicRange Range,
    double? SettleTime,
    double ElapsedSeconds,
    int TimePoints,
    ErrorBounds? Bounds = null,
    SupplyDraw? Supply = null);

/// <summary>Task-level figures over all cases.</summary>
public sealed record TaskSummary(
    string Task,
    int Cases,
    int Simulated,
    double MaxOutputError,
    double RmsOutputError,
    double? ArgmaxAgreement,
    double? MinReferenceMargin,
    double? MeanSampleError,
    double? ReferenceStd,
    double? EnergyDistance,
    bool Pass,
    IReadOnlyList<string> Failures);

/// <summary>Whether outputs are ready at T x time unit: the simulated end time, and when outputs settled.</summary>
public sealed record TimescaleCheck(double ExpectedSeconds, double SimulatedSeconds, double? LatestSettleSeconds, bool Pass);

/// <summary>A verification's outcome as reports show it: passed, failed, or not run at all.</summary>
public enum VerdictStatus { Pass, Fail, NotRun }

public static class VerdictStatusText
{
    /// <summary>`pass`, `FAIL` (capitals: a failure must stand out in a table), `not run`.</summary>
    public static string Text(this VerdictStatus status) => status switch
    {
        VerdictStatus.Pass => "pass",
        VerdictStatus.Fail => "FAIL",
        _ => "not run",
    };

    public static VerdictStatus Of(bool pass) => pass ? VerdictStatus.Pass : VerdictStatus.Fail;
}

/// <summary>
/// The node swing of a run against a supply's rails, checked at every fidelity. It fails the verification only when
/// the circuit runs on that supply (<see cref="Verify.Supply.Powers"/>); otherwise it says whether the chip could be built
/// at this voltage scale.
/// </summary>
public sealed record RailsCheck(Supply Supply, double MaxNodeVolts)
{
    public bool Within => MaxNodeVolts <= Supply.AllowedSwing;
    public bool FailsVerdict => Supply.Powers && !Within;
}

/// <param name="Tolerance">The output tolerance (model units).</param>
/// <param name="Rule">Every bound of the run; null in verdict files written before states had bounds of their own (read back as
/// <see cref="ToleranceRule.Absolute"/> at <paramref name="Tolerance"/>).</param>
/// <param name="Rails">The node swing against the supply; null when no supply was named (or in older verdict files).</param>
/// <param name="VoltageScale">How the voltage scale was chosen when it was chosen automatically; null when it was given.</param>
/// <param name="Accuracy">The simulator's error control the decks were written with (before any --spice-option override).</param>
public sealed record VerifyReport(
    string Design,
    string Source,
    CircuitFidelity Fidelity,
    string Simulator,
    Units Units,
    TaskKind Task,
    double Tolerance,
    IReadOnlyList<CaseVerdict> Cases,
    TaskSummary Summary,
    TimescaleCheck Timescale,
    DynamicRange Range,
    bool Pass,
    ToleranceRule? Rule = null,
    RailsCheck? Rails = null,
    VoltageScaleChoice? VoltageScale = null,
    Generate.DeckAccuracy? Accuracy = null)
{
    public VerdictStatus Status => VerdictStatusText.Of(Pass);

    /// <summary>Over the cases whose supply was measured: the mean energy per inference and, per layer, the largest mean power; null when none was.</summary>
    public SupplyDraw? Supply => Cases.Where(c => c.Supply is not null).Select(c => c.Supply!).ToList() is { Count: > 0 } s
        ? new SupplyDraw(s.Average(d => d.EnergyJoules),
            Enumerable.Range(0, s.Min(d => d.LayerPowerWatts.Length)).Select(l => s.Max(d => d.LayerPowerWatts[l])).ToArray())
        : null;

    /// <summary>How many cases <see cref="Supply"/> is over.</summary>
    public int SupplyCases => Cases.Count(c => c.Supply is not null);
}
