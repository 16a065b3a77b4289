using KirchhoffHw.Model;

namespace KirchhoffHw.Verify;

/// <summary>
/// Whether a circuit still does its design's task, judged from task-level figures: every class kept (classifiers),
/// mean per-sample error within a fraction of the reference samples' spread (generative models), every output within
/// the tolerance (anything else). The one rule behind every verdict: co-simulation, the software comparison and the
/// tolerance analysis all ask it.
/// </summary>
public static class TaskRule
{
    public static bool Holds(TaskKind task, double? argmaxAgreement, double? meanSampleError, double? referenceStd,
        double maxOutputError, double tolerance, double generationRelativeError) => task switch
    {
        TaskKind.Classification => argmaxAgreement == 1,
        // a spread needs two samples or more: one sample (or identical ones) is held to the output tolerance instead
        TaskKind.Generation when referenceStd is > 0 && double.IsFinite(referenceStd.Value) => meanSampleError <= generationRelativeError * referenceStd,
        _ => maxOutputError <= tolerance,
    };

    /// <summary>As a sentence, for reports: what <see cref="Holds"/> asks of this task.</summary>
    public static string Describe(TaskKind task, double tolerance, double generationRelativeError) => task switch
    {
        TaskKind.Classification => "every input keeps the reference's class (argmax)",
        TaskKind.Generation => System.FormattableString.Invariant($"mean per-sample error <= {generationRelativeError * 100:G} % of the reference samples' std (one sample: every output within {tolerance:G})"),
        _ => System.FormattableString.Invariant($"every output within {tolerance:G} model units"),
    };

    /// <summary>
    /// Why one simulated case breaks its bounds; empty when every error holds. The initial state comes first: if the
    /// simulator dropped the input, every later error is meaningless.
    /// </summary>
    public static IReadOnlyList<string> CaseFailures(CaseErrors errors, ErrorBounds bounds)
    {
        var failures = new List<string>();
        string State() => System.FormattableString.Invariant($"{bounds.State:G3} (atol + rtol x {bounds.StateScale:G4})");
        if (!(errors.Initial <= bounds.Initial))
            failures.Add(System.FormattableString.Invariant($"initial state differs from the input by {errors.Initial:G3} (simulator ignored the initial conditions?)"));
        if (!(errors.Boundary <= bounds.State)) failures.Add(System.FormattableString.Invariant($"layer-boundary error {errors.Boundary:G3} > {State()}"));
        if (!(errors.Sample <= bounds.State)) failures.Add(System.FormattableString.Invariant($"trajectory error {errors.Sample:G3} > {State()}"));
        if (!(errors.Output <= bounds.Output)) failures.Add(System.FormattableString.Invariant($"output error {errors.Output:G3} > {bounds.Output:G3}"));
        return failures;
    }

    /// <summary>The software comparison of a lowered circuit against the ideal reference, judged by the rule.</summary>
    public static bool Holds(SoftwareComparison c, double tolerance, double generationRelativeError) =>
        Holds(c.Task, c.ArgmaxAgreement, c.MeanSampleError, c.ReferenceStd, c.MaxOutputError, tolerance, generationRelativeError);
}
