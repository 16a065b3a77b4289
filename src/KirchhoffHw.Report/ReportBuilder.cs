using KirchhoffHw.Model;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Report;

/// <summary>What a report is made from: the design in its chosen units, the estimate inputs, the cases and whatever verification produced.</summary>
public sealed record ReportRequest
{
    public required Design Design { get; init; }
    public required string Source { get; init; }
    public required EstimateInputs Inputs { get; init; }
    public required IReadOnlyList<double[]> Cases { get; init; }
    public required Reproducibility Repro { get; init; }
    public IReadOnlyList<VerificationRun> Verification { get; init; } = [];

    /// <summary>Tolerance of the digital forward pass (the model's training tolerance when it has one).</summary>
    public double DigitalTolerance { get; init; } = 1e-3;

    /// <summary>The reference that draws the waveforms and finds the peak device current.</summary>
    public SolverOptions Reference { get; init; } = SolverOptions.Dopri5(1e-9);

    /// <summary>The cell costs; null = <see cref="UniformCells"/> from <see cref="Inputs"/> at the reference's peak device current.</summary>
    public Func<double, ICellCosts>? Cells { get; init; }

    public IReadOnlyList<CellFit> CellFits { get; init; } = [];
    public string CellNote { get; init; } = "";
    public IReadOnlyList<PlotImage> CellPlots { get; init; } = [];

    /// <summary>The only part of a report allowed to differ between two runs of the same command.</summary>
    public DateTimeOffset Generated { get; init; } = DateTimeOffset.UtcNow;
}

public static class ReportBuilder
{
    public static ChipReport Build(ReportRequest q, CancellationToken cancel = default)
    {
        var design = q.Design;
        var problems = q.Inputs.Problems().ToList();
        if (problems.Count > 0)
            throw new KirchhoffHwException(problems.Select(p => new Diagnostic(new SourceLocation(q.Inputs.TechSource.Length > 0 ? q.Inputs.TechSource : "<estimate inputs>"), p)).ToList());
        var op = OperatingPoint.Compute(design, q.Cases, q.Reference, cancel);
        var cells = q.Cells?.Invoke(op.PeakModelCurrent) ?? new UniformCells(q.Inputs, op.PeakModelCurrent);
        var counts = DesignCounts.Of(design, cells, q.Inputs);
        var estimates = ChipEstimator.Compute(counts, design.Units, q.Inputs);
        var sweep = ChipEstimator.Sweep(design, cells, q.Inputs);
        var digital = DigitalComparison.Compute(design, q.Cases, q.DigitalTolerance, q.Inputs.Digital, cancel);

        // Node voltages are signed and measured from node 0, so they must fit between the rails on both sides.
        double swing = q.Inputs.Vss < 0 ? Math.Min(q.Inputs.Vdd, -q.Inputs.Vss) : q.Inputs.Vdd;
        var ranges = q.Verification.Where(v => v.Result is not null).Select(v => new RangeCheck(v.Fidelity,
            v.Result!.Range.MaxNodeVolts, swing, v.Result.Range.MaxNodeVolts <= swing,
            v.Result.Range.MaxDeviceAmps, q.Inputs.MaxBiasCurrent, v.Result.Range.MaxDeviceAmps <= q.Inputs.MaxBiasCurrent)).ToList();

        var plots = new List<PlotImage>();
        var first = q.Verification.FirstOrDefault(v => v.Result is not null)?.Result;
        if (q.Cases.Count > 0) plots.Add(Plots.Waveforms(design, op, first?.Cases.FirstOrDefault(), 0));
        foreach (var run in q.Verification.Where(v => v.Result is not null))
        {
            if (Plots.ErrorHistogram(run.Result!, run.Fidelity) is { } h) plots.Add(h);
            if (Plots.Samples(run.Result!, run.Fidelity) is { } s) plots.Add(s);
        }
        plots.AddRange(Plots.Sweep(sweep, q.Inputs, design.Units.TimeUnit));
        plots.AddRange(q.CellPlots);

        var byKey = estimates.ToDictionary(e => e.Key);
        var headlines = new List<Headline>
        {
            new("devices", "Devices", counts.Devices, ""),
            new("capacitors", "Capacitors", counts.Capacitors, ""),
            new("area_total_m2", "Chip area", byKey["area_total_m2"].Value, "m^2"),
            new("energy_per_inference_j", "Energy per inference", byKey["energy_per_inference_j"].Value, "J"),
            new("latency_s", "Latency", byKey["latency_s"].Value, "s"),
            new("power_average_w", "Average power", byKey["power_average_w"].Value, "W"),
            new("device_bias_max_a", "Largest device bias", byKey["device_bias_max_a"].Value, "A"),
            new("digital_energy_ratio", "GPU energy / chip energy", digital.EnergyPerInference / byKey["energy_per_inference_j"].Value, ""),
        };
        foreach (var run in q.Verification.Where(v => v.Result is not null))
            headlines.Add(new($"passed_{run.Fidelity}", $"Cases passed ({run.Fidelity})", run.Result!.Cases.Count(c => c.Pass), $"of {run.Result.Cases.Count}"));

        return new ChipReport(design.Name, q.Source, design.Task, q.Generated, design.Units, q.Inputs, counts, op.PeakModelCurrent, q.Cases.Count,
            estimates, counts.OutOfRange == 0, sweep, digital, q.Verification, ranges, q.CellFits, q.CellNote, plots, q.Repro, headlines);
    }
}
