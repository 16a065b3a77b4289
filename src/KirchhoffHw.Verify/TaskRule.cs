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
        TaskKind.Generation => meanSampleError <= generationRelativeError * referenceStd,
        _ => maxOutputError <= tolerance,
    };

    /// <summary>As a sentence, for reports: what <see cref="Holds"/> asks of this task.</summary>
    public static string Describe(TaskKind task, double tolerance, double generationRelativeError) => task switch
    {
        TaskKind.Classification => "every input keeps the reference's class (argmax)",
        TaskKind.Generation => System.FormattableString.Invariant($"mean per-sample error <= {generationRelativeError * 100:G} % of the reference samples' std"),
        _ => System.FormattableString.Invariant($"every output within {tolerance:G} model units"),
    };

    /// <summary>The software comparison of a lowered circuit against the ideal reference, judged by the rule.</summary>
    public static bool Holds(SoftwareComparison c, double tolerance, double generationRelativeError) =>
        Holds(c.Task, c.ArgmaxAgreement, c.MeanSampleError, c.ReferenceStd, c.MaxOutputError, tolerance, generationRelativeError);
}
