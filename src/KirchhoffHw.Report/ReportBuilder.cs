using KirchhoffHw.Model;
using KirchhoffHw.Reference;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Report;

/// <summary>
/// What a report is made from, all of it computed before: the design in its chosen units, the estimate inputs, the
/// reference on the report's cases, the digital solve, whatever verification produced and the cells' figures.
/// </summary>
public sealed record ReportRequest
{
    public required Design Design { get; init; }
    public required string Source { get; init; }
    public required EstimateInputs Inputs { get; init; }

    /// <summary>The reference on the report's cases, recording <see cref="OperatingPoint.Grid"/>: the waveforms and the peak device current.</summary>
    public required ReferenceRun Reference { get; init; }

    /// <summary>The design solved on the report's cases at the digital comparison's tolerance (the model's training tolerance).</summary>
    public required ReferenceResult Digital { get; init; }

    public required Reproducibility Repro { get; init; }
    public IReadOnlyList<VerificationRun> Verification { get; init; } = [];

    /// <summary>
    /// The cell costs at the reference's peak device current; null = <see cref="UniformCells"/> from <see cref="Inputs"/>.
    /// <see cref="UnsizedCells"/> when no cells were characterized: the report then shows what needs none.
    /// </summary>
    public Func<double, ICellCosts>? Cells { get; init; }

    public IReadOnlyList<CellFit> CellFits { get; init; } = [];

    /// <summary>The measured figures of the cells the transistor deck builds (mismatch, output conductance, speed); empty when none apply.</summary>
    public IReadOnlyList<Cells.CellFigure> CellFigures { get; init; } = [];

    /// <summary>How the design's voltage scale was chosen, when `--voltage-scale auto` chose it.</summary>
    public VoltageScaleChoice? VoltageScale { get; init; }

    /// <summary>Devices whose cells, as sized, miss their trained law by more than their fit allows; null when no cells were sized.</summary>
    public long? FitAboveBound { get; init; }
    public string CellNote { get; init; } = "";
    public IReadOnlyList<PlotImage> CellPlots { get; init; } = [];

    /// <summary>The transistor deck's own count (a report of a transistor circuit); null = the cell figures' count.</summary>
    public Cells.DeckCount? Deck { get; init; }

    /// <summary>The timescale measured by `verify --time-units`, checked against the design; null when none was given.</summary>
    public MeasuredTimescale? Timescale { get; init; }

    /// <summary>
    /// The largest lag (model time units) with which every device may see the node voltages and the task still hold
    /// (the tolerance analysis' lag: what the cells' settling must stay within); null when not analysed.
    /// </summary>
    public double? LagBudget { get; init; }

    /// <summary>The cells' measured settling as a lag (s), stated beside <see cref="LagBudget"/>; null when not known.</summary>
    public double? CellLag { get; init; }

    /// <summary>The only part of a report allowed to differ between two runs of the same command.</summary>
    public DateTimeOffset Generated { get; init; } = DateTimeOffset.UtcNow;
}

public static class ReportBuilder
{
    public static ChipReport Build(ReportRequest q)
    {
        var design = q.Design;
        var problems = q.Inputs.Problems().ToList();
        if (problems.Count > 0)
            throw new KirchhoffHwException(problems.Select(p => new Diagnostic(new SourceLocation(q.Inputs.TechSource.Length > 0 ? q.Inputs.TechSource : "<estimate inputs>"), p)).ToList());
        var op = OperatingPoint.Of(q.Reference);
        var cells = q.Cells?.Invoke(op.PeakModelCurrent) ?? new UniformCells(q.Inputs, op.PeakModelCurrent);
        // a transistor deck that lifts every current and node capacitance builds that chip: its area, power and energy
        var built = q.Deck is { CapacitanceBoost: > 1 } lift
            ? design.With(units: design.Units with { Capacitance = design.Units.Capacitance * lift.CapacitanceBoost }) : design;
        var counts = DesignCounts.Of(built, cells, q.Inputs) with { Deck = q.Deck };
        var estimates = ChipEstimator.Compute(counts, built.Units, q.Inputs);
        var sweep = ChipEstimator.Sweep(design, cells, q.Inputs);
        var digital = DigitalComparison.Compute(design, q.Digital, q.Inputs.Digital);

        // Node voltages are signed and measured from node 0, so they must fit between the rails on both sides.
        double swing = q.Inputs.Vss < 0 ? Math.Min(q.Inputs.Vdd, -q.Inputs.Vss) : q.Inputs.Vdd;
        // The reference's swing is what every fidelity must reach, so the rails are checked at every fidelity, ideal
        // included (exact laws need no bias, but their nodes still need a supply); then what each simulated circuit did.
        double volts = op.PeakModelVoltage * design.Units.VoltageScale, amps = op.PeakModelCurrent * design.Units.CurrentScale;
        var ranges = new List<RangeCheck> { new(RangeCheck.Reference, volts, swing, volts <= swing, amps, q.Inputs.MaxBiasCurrent, amps <= q.Inputs.MaxBiasCurrent) };
        ranges.AddRange(q.Verification.Where(v => v.Result is not null).Select(v => new RangeCheck(v.Fidelity.Key,
            v.Result!.Range.MaxNodeVolts, swing, v.Result.Range.MaxNodeVolts <= swing,
            v.Result.Range.MaxDeviceAmps, q.Inputs.MaxBiasCurrent, v.Result.Range.MaxDeviceAmps <= q.Inputs.MaxBiasCurrent)));

        var plots = new List<PlotImage>();
        var first = q.Verification.FirstOrDefault(v => v.Result is not null)?.Result;
        if (q.Reference.Inputs.Count > 0) plots.Add(Plots.Waveforms(design, op, first?.Cases.FirstOrDefault(), 0));
        foreach (var run in q.Verification.Where(v => v.Result is not null))
        {
            if (Plots.ErrorHistogram(run.Result!, run.Fidelity.Key) is { } h) plots.Add(h);
            if (Plots.Samples(run.Result!, run.Fidelity.Key) is { } s) plots.Add(s);
        }
        if (sweep.Count > 0) plots.AddRange(Plots.Sweep(sweep, q.Inputs, design.Units.TimeUnit));
        if (q.Timescale is { } measured && Plots.MeasuredTimescale(measured.Sweep, sweep, design.Units.TimeUnit) is { } mt) plots.Add(mt);
        plots.AddRange(q.CellPlots);
        if (design.Calibration is { } note && Plots.CalibrationLoss(note) is { } loss) plots.Add(loss);

        var byKey = estimates.ToDictionary(e => e.Key);
        var headlines = new List<Headline>
        {
            new("devices", "Devices", counts.Devices, ""),
            new("capacitors", "Capacitors", counts.Capacitors, ""),
        };
        void Estimate(EstimateKey key, string label, string unit)
        {
            if (byKey.TryGetValue(key, out var e)) headlines.Add(new(key.Json(), label, e.Value, unit));
        }
        Estimate(EstimateKey.AreaTotal, "Chip area", "m^2");
        Estimate(EstimateKey.EnergyPerInference, "Energy per inference", "J");
        Estimate(EstimateKey.Latency, "Latency", "s");
        Estimate(EstimateKey.PowerAverage, "Average power", "W");
        Estimate(EstimateKey.DeviceBiasMax, "Largest device bias", "A");
        if (byKey.TryGetValue(EstimateKey.EnergyPerInference, out var energy))
            headlines.Add(new("digital_energy_ratio", "GPU energy / chip energy", digital.EnergyPerInference / energy.Value, ""));
        headlines.Add(new("node_swing_v", "Largest node swing (reference)", ranges[0].MaxNodeVolts, "V"));
        if (q.Deck is { CapacitanceBoost: > 1 } boosted)
            headlines.Add(new("node_capacitance_built_f", $"Node capacitance as the deck builds it (every current x {boosted.CapacitanceBoost:G3} too; area, power and energy are this chip's)",
                built.Units.Capacitance, "F"));
        if (q.LagBudget is { } lag)
            headlines.Add(new("lag_budget_s", "Lag budget (cell settling time constant the task tolerates)", lag * design.Units.TimeUnit, "s"));
        if (q.CellLag is { } cellLag)
            headlines.Add(new("cell_lag_s", "Cells' settling lag (measured; the macro law and calibration carry it up to a tenth of a layer)", cellLag, "s"));
        if (q.Timescale?.Sweep.FastestPassing is { } fastest)
            headlines.Add(new("fastest_passing_time_unit_s", $"Fastest passing time unit (measured, {q.Timescale.Sweep.Fidelity.Key})", fastest, "s"));
        foreach (var run in q.Verification.Where(v => v.Result is not null))
            headlines.Add(new($"passed_{run.Fidelity.Key}", $"Cases passed ({run.Fidelity.Key})", run.Result!.Cases.Count(c => c.Pass), $"of {run.Result.Cases.Count}"));

        // a transistor circuit is built as its deck builds it: a device at its unit's limit is outside the bias range too
        long? outOfRange = q.Deck is { DevicesAtLimit: > 0 } deck ? Math.Max(counts.OutOfRange ?? 0, deck.DevicesAtLimit) : counts.OutOfRange;
        var chip = ChipVerdict.Of(q.Verification, ranges, counts.Devices, outOfRange, counts.Sized ? q.FitAboveBound ?? 0 : null);
        return new ChipReport(design.Name, q.Source, design.Task, q.Generated, design.Units, q.Inputs, counts, op.PeakModelCurrent, q.Reference.Inputs.Count,
            estimates, counts.OutOfRange is { } outside ? outside == 0 : null, sweep, digital, q.Verification, ranges, q.CellFits, q.CellNote, plots, q.Repro, headlines, chip, q.VoltageScale)
        {
            Calibration = design.Calibration,
            Timescale = q.Timescale,
            CellFigures = q.CellFigures,
            Budget = FanInBudget.Of(design, op, q.Verification.FirstOrDefault(v => v.Result is not null)?.Result!.Tolerance ?? VerifyOptions.Default.ToleranceFor(design.Task)),
        };
    }
}
