using KirchhoffHw.Cells;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;
using KirchhoffHw.Report;

namespace KirchhoffHw.Flow;

/// <summary>A chip report's sources: the design, the reference already solved on its cases, the verifications that ran, the cells.</summary>
public sealed record ReportPlan
{
    public required Design Design { get; init; }
    public required string Source { get; init; }

    /// <summary>The reference on the report's cases at the golden tolerance, recording <see cref="OperatingPoint.Grid"/> (and <see cref="CellStage.RangeTimes"/> when cells are sized).</summary>
    public required ReferenceRun Reference { get; init; }

    public required CellStage Cells { get; init; }

    /// <summary>Size every device's cell from the characterized library; false: counts only (nothing is characterized).</summary>
    public bool SizeCells { get; init; }

    public required Reproducibility Repro { get; init; }
    public IReadOnlyList<VerificationRun> Verification { get; init; } = [];

    /// <summary>Tolerance of the digital forward pass (the model's training tolerance when it has one).</summary>
    public double DigitalTolerance { get; init; } = 1e-3;

    public IReferenceSolver Solver { get; init; } = ReferenceSolver.Default;
    public DateTimeOffset Generated { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>How the design's voltage scale was chosen, when `--voltage-scale auto` chose it.</summary>
    public Model.VoltageScaleChoice? VoltageScale { get; init; }

    /// <summary>The timescale measured by `verify --time-units`, already checked against <see cref="Design"/>; null when none.</summary>
    public MeasuredTimescale? Timescale { get; init; }

    /// <summary>
    /// True when the report is of a transistor circuit: a verification (run or not) or the measured timescale is at
    /// transistor fidelity. Its transistor count is then the deck's own.
    /// </summary>
    public bool OfTransistors => Verification.Any(v => v.Fidelity.Kind == Fidelity.Transistor) || Timescale?.Sweep.Fidelity.Kind == Fidelity.Transistor;
}

/// <summary>The report stage: the digital comparison's solve, the cells' figures (sized or counted), the report built and written.</summary>
public static class ReportStage
{
    public static ChipReport Build(ReportPlan plan, CancellationToken cancel = default)
    {
        var design = plan.Design;
        var inputs = plan.Reference.Inputs;
        var options = SolverOptions.Dopri5(plan.DigitalTolerance);
        var digital = inputs.Count == 0 ? new ReferenceResult([], options, 0, TimeSpan.Zero) : plan.Solver.Solve(design, inputs, options, cancel: cancel);
        var tech = plan.Cells.Technology;
        var request = plan.SizeCells
            ? TechnologyInputs.Request(design, plan.Source, tech, plan.Cells.Library, plan.Cells.Map(plan.Reference), plan.Reference, digital, plan.Repro)
            : TechnologyInputs.Unsized(design, plan.Source, tech, plan.Reference, digital, plan.Repro);
        return ReportBuilder.Build(request with
        {
            Verification = plan.Verification, Generated = plan.Generated, VoltageScale = plan.VoltageScale, Timescale = plan.Timescale,
            Deck = plan.SizeCells && plan.OfTransistors ? DeckTransistors(design, tech) : null,
            // beside the v2 cells' measured settling (cell figures): how fast they would have to be
            LagBudget = RegulatedNetlist.Builds(design) && inputs.Count > 0 ? ToleranceAnalysis.LagBudget(design, inputs, cancel: cancel) : null,
            CellLag = RegulatedNetlist.Builds(design) ? RegulatedFamily.Characterized.SettlingLag : null,
        });
    }

    /// <summary>
    /// The MOS transistors of the transistor deck the project writes for <paramref name="design"/>, counted by its own
    /// writer; null where the deck is of the per-device cells (<see cref="TransistorNetlist"/>), whose count the cell
    /// figures already give.
    /// </summary>
    public static DeckCount? DeckTransistors(Design design, Technology tech) =>
        RegulatedNetlist.Builds(design) ? new RegulatedNetlist(tech).Count(design) : null;

    /// <summary>report.json, report.md, report.html and plots/ into <paramref name="directory"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Write(ChipReport report, string directory) => ReportWriter.Write(report, directory);
}
