using KirchhoffHw.Model;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Report;

/// <summary>One fidelity's verification: its verdict file's content, or why it was not run.</summary>
public sealed record VerificationRun(CircuitFidelity Fidelity, VerifyReport? Result, string? NotRunReason = null, string? VerdictFile = null)
{
    public VerdictStatus Status => Result is null ? VerdictStatus.NotRun : Result.Status;

    /// <summary>What the circuit of every fidelity is held against: the reference always runs the trained (ideal) laws.</summary>
    public string ComparedWith => "the reference run on the trained (ideal) device laws";
}

/// <summary>How well a cell's fitted law matches its transistor-level characterization.</summary>
/// <param name="Bound">For the devices of a layer: the largest error any of them may show when built as trained (<c>CellLibrary.FitBound</c>); null for a cell part's own fit, which sets the bounds.</param>
/// <param name="AboveBound">Devices of the layer whose error exceeds their own bound; null for a cell part's fit.</param>
public sealed record CellFit(string Model, string Cell, double MaxError, double RmsError, string Unit, double? Bound = null, long? AboveBound = null);

/// <summary>Everything needed to repeat the run exactly: the command, the inputs (every sampled vector) and their seed, the solver settings.</summary>
public sealed record Reproducibility(string Command, string InputOrigin, int? Seed, IReadOnlyList<double[]> Inputs, IReadOnlyList<(string Name, string Value)> Settings);

/// <summary>A figure shown at the top of the report; its value is also an estimate, a count or a verdict count in report.json.</summary>
public sealed record Headline(string Key, string Label, double Value, string Unit);

/// <summary>The rails and bias range against what a circuit (a fidelity's key), or the reference (`reference`), actually did.</summary>
public sealed record RangeCheck(string Of, double MaxNodeVolts, double AllowedSwingVolts, bool NodesWithinRails,
    double MaxDeviceAmps, double MaxBiasCurrent, bool CurrentsWithinBias)
{
    /// <summary><see cref="Of"/> for the reference's own trajectories, which every fidelity must follow.</summary>
    public const string Reference = "reference";
}

/// <summary>A timescale sweep from `verify --time-units` as a report shows it: the sweep, checked against the report's design, and the file it came from.</summary>
public sealed record MeasuredTimescale(TimescaleSweep Sweep, string File);

/// <summary>A chip-level report: counts, estimates with their formulas, the timescale sweep, the digital comparison, verification and plots.</summary>
public sealed record ChipReport(
    string Design,
    string Source,
    TaskKind Task,
    DateTimeOffset Generated,
    Units Units,
    EstimateInputs Inputs,
    DesignCounts Counts,
    double PeakModelCurrent,
    int OperatingPointCases,
    IReadOnlyList<Estimate> Estimates,
    bool? BiasFeasible,
    IReadOnlyList<SweepPoint> Sweep,
    DigitalComparison Digital,
    IReadOnlyList<VerificationRun> Verification,
    IReadOnlyList<RangeCheck> Ranges,
    IReadOnlyList<CellFit> CellFits,
    string CellNote,
    IReadOnlyList<PlotImage> Plots,
    Reproducibility Repro,
    IReadOnlyList<Headline> Headlines,
    ChipVerdict Chip,
    Model.VoltageScaleChoice? VoltageScale = null)
{
    public const string Schema = "kirchhoffhw-report/1";

    /// <summary>The measured figures of the cells the transistor deck builds; empty when none apply.</summary>
    public IReadOnlyList<Cells.CellFigure> CellFigures { get; init; } = [];

    /// <summary>A calibrated design's calibration note (before/after errors, loss curve); null for a design as trained.</summary>
    public CalibrationNote? Calibration { get; init; }

    /// <summary>How accurate each cell must be, from the node where the most device current meets; null without devices.</summary>
    public FanInBudget? Budget { get; init; }

    /// <summary>The timescale measured by `verify --time-units` (<see cref="MeasuredTimescale"/>); null when none was given.</summary>
    public MeasuredTimescale? Timescale { get; init; }

    /// <summary>An estimate's value; only estimates the report has (without sized cells some are left out).</summary>
    public double this[EstimateKey key] => Estimates.First(e => e.Key == key).Value;

    public bool Has(EstimateKey key) => Estimates.Any(e => e.Key == key);

    /// <summary>The verifications alone: pass when every one that ran passed and at least one ran; not run when none ran.</summary>
    public VerdictStatus VerificationStatus => Verification.All(v => v.Result is null) ? VerdictStatus.NotRun
        : Verification.Where(v => v.Result is not null).All(v => v.Result!.Pass) ? VerdictStatus.Pass : VerdictStatus.Fail;
}
