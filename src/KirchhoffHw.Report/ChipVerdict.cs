using KirchhoffHw.Verify;

namespace KirchhoffHw.Report;

/// <summary>Why a report does not headline "pass": one kind per check, so code and templates test kinds, never text.</summary>
public enum ReasonKind
{
    /// <summary>A fidelity's verification ran and failed.</summary>
    VerificationFailed,
    /// <summary>No verification ran.</summary>
    NotVerified,
    /// <summary>Node voltages (the reference's, or a simulated circuit's) leave the supply's rails at this voltage scale.</summary>
    NodesOutsideRails,
    /// <summary>Devices need a bias the technology's cell sizing cannot build.</summary>
    DevicesOutsideBias,
    /// <summary>No cells were sized, so bias and fits were not assessed.</summary>
    CellsNotSized,
    /// <summary>Devices whose cells, as sized, miss their trained law by more than their cell's fit allows.</summary>
    FitAboveBound,
}

public static class ReasonKinds
{
    /// <summary>The kind as report.json writes it.</summary>
    public static string Json(this ReasonKind kind) => kind switch
    {
        ReasonKind.VerificationFailed => "verification_failed",
        ReasonKind.NotVerified => "not_verified",
        ReasonKind.NodesOutsideRails => "nodes_outside_rails",
        ReasonKind.DevicesOutsideBias => "devices_outside_bias",
        ReasonKind.CellsNotSized => "cells_not_sized",
        _ => "fit_above_bound",
    };

    /// <summary>A reason that says the chip cannot be built as reported (as opposed to one that leaves it unproven).</summary>
    public static bool Blocks(this ReasonKind kind) => kind is ReasonKind.NodesOutsideRails or ReasonKind.DevicesOutsideBias or ReasonKind.FitAboveBound;
}

public sealed record VerdictReason(ReasonKind Kind, string Text);

/// <summary>The report's headline from worst to best: a verification failed, the chip cannot be built, something was not checked, every check holds.</summary>
public enum ChipStatus { Fail, NotBuildable, Incomplete, Pass }

/// <summary>
/// The report's headline verdict: the worst of the verification, the node swing against the rails, the device biases
/// against the technology and the cell fits against their bounds. "pass" only when every one holds and each was
/// checked; otherwise the headline says which did not (for example "verified; not buildable: 30 of 30 devices outside
/// the bias range").
/// </summary>
public sealed record ChipVerdict(ChipStatus Status, string Headline, IReadOnlyList<VerdictReason> Reasons)
{
    /// <summary>`pass`, `FAIL` (capitals: a failure must stand out), `not buildable`, `incomplete`.</summary>
    public string Text => Status switch
    {
        ChipStatus.Pass => "pass",
        ChipStatus.Fail => "FAIL",
        ChipStatus.NotBuildable => "not buildable",
        _ => "incomplete",
    };

    /// <summary>
    /// The mark every headline figure carries unless the chip passes: a figure of a chip that cannot be built (or was
    /// not shown to work) is never shown bare. Null when it passes.
    /// </summary>
    public string? Mark => Status switch
    {
        ChipStatus.Pass => null,
        ChipStatus.Fail => "verification failed",
        ChipStatus.NotBuildable => "not buildable",
        _ => Reasons.Any(r => r.Kind == ReasonKind.NotVerified) ? "not verified" : "not assessed",
    };

    /// <param name="verification">Every fidelity's verification, run or not.</param>
    /// <param name="ranges">The node swing against the rails, the reference's first.</param>
    /// <param name="devices">Devices in the design.</param>
    /// <param name="outOfRange">Devices the cell sizing cannot build; null when no cells were sized.</param>
    /// <param name="fitAboveBound">Devices whose cells miss their trained law by more than their fit allows; null when no cells were sized.</param>
    public static ChipVerdict Of(IReadOnlyList<VerificationRun> verification, IReadOnlyList<RangeCheck> ranges, long devices, long? outOfRange, long? fitAboveBound)
    {
        var reasons = new List<VerdictReason>();
        var ran = verification.Where(v => v.Result is not null).ToList();
        var failed = ran.Where(v => !v.Result!.Pass).ToList();
        foreach (var v in failed)
            reasons.Add(new(ReasonKind.VerificationFailed,
                $"verification ({v.Fidelity.Key}) failed: {v.Result!.Cases.Count(c => !c.Pass)} of {v.Result.Cases.Count} cases"));
        if (ran.Count == 0) reasons.Add(new(ReasonKind.NotVerified, "not verified: no verification ran"));
        foreach (var g in ranges.Where(g => !g.NodesWithinRails))
            reasons.Add(new(ReasonKind.NodesOutsideRails,
                $"{(g.Of == RangeCheck.Reference ? "reference" : g.Of)} node swing {Format.Quantity(g.MaxNodeVolts, "V")} outside +-{Format.Quantity(g.AllowedSwingVolts, "V")} rails"));
        if (outOfRange is null) reasons.Add(new(ReasonKind.CellsNotSized, $"bias and fits not assessed: no cells sized ({ReportView.NeedCells})"));
        else if (outOfRange > 0) reasons.Add(new(ReasonKind.DevicesOutsideBias, $"{Format.Count(outOfRange.Value)} of {Format.Count(devices)} devices outside the bias range"));
        if (fitAboveBound is > 0) reasons.Add(new(ReasonKind.FitAboveBound, $"{Format.Count(fitAboveBound.Value)} of {Format.Count(devices)} devices fit worse than their cells allow"));

        var status = failed.Count > 0 ? ChipStatus.Fail
            : reasons.Any(r => r.Kind.Blocks()) ? ChipStatus.NotBuildable
            : reasons.Count > 0 ? ChipStatus.Incomplete
            : ChipStatus.Pass;
        string verified = failed.Count > 0 ? "FAIL: " + string.Join("; ", reasons.Where(r => r.Kind == ReasonKind.VerificationFailed).Select(r => r.Text))
            : ran.Count == 0 ? "not verified" : "verified";
        var blocking = reasons.Where(r => r.Kind.Blocks()).Select(r => r.Text).ToList();
        string build = blocking.Count > 0 ? "not buildable: " + string.Join("; ", blocking)
            : outOfRange is null ? "buildability not assessed: no cells sized"
            : "buildable: nodes within the rails, every device within the bias range and its fit";
        string headline = status == ChipStatus.Pass ? $"pass: {verified}; {build}" : $"{verified}; {build}";
        return new ChipVerdict(status, headline, reasons);
    }
}
