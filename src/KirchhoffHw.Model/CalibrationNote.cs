namespace KirchhoffHw.Model;

/// <summary>
/// What a calibrated design was calibrated for and against, carried in the design file so every later verb can
/// answer "does this circuit compute what I trained?": the units (capacitance, time unit, voltage scale) and the
/// technology whose cells it was fitted to (name, corner, fingerprint), the trained network it was fitted back to
/// (<see cref="TeacherReference"/>), and how the fit went (<see cref="CalibrationSummary"/>).
/// </summary>
public sealed record CalibrationNote(
    Units Units,
    string Technology,
    string Corner,
    string TechnologyFingerprint,
    string Student,
    TeacherReference Teacher,
    CalibrationSummary Summary)
{
    /// <summary>Value equality over the loss curve too (record equality compares list references).</summary>
    public bool Same(CalibrationNote? other) => other is not null
        && Units == other.Units && Technology == other.Technology && Corner == other.Corner
        && TechnologyFingerprint == other.TechnologyFingerprint && Student == other.Student && Teacher == other.Teacher
        && Summary.Same(other.Summary);
}

/// <summary>
/// The trained network a design was calibrated against: its model file and config as given on the command line
/// (config null when it sat beside the model or the model is a design file) and a SHA-256 of their contents, so a
/// changed checkpoint is noticed rather than silently compared against.
/// </summary>
public sealed record TeacherReference(string Model, string? Config, string ContentHash);

/// <summary>How the fit went: stop reason, work, the loss per iteration (index 0 the start) and the held-out error before and after.</summary>
public sealed record CalibrationSummary(
    string Status,
    bool Converged,
    int Iterations,
    int Evaluations,
    double Seconds,
    int TrainingCases,
    int HeldOutCases,
    int? Seed,
    int FreeParameters,
    int Trims,
    IReadOnlyList<double> Loss,
    HeldOutSummary Before,
    HeldOutSummary After)
{
    public bool Same(CalibrationSummary? other) => other is not null
        && this with { Loss = [] } == other with { Loss = [] } && Loss.SequenceEqual(other.Loss);
}

/// <summary>
/// A circuit's error against the teacher on held-out inputs: mean per-sample output error, the same as a fraction of
/// the teacher's spread, the largest single output error; classifiers add how many argmaxes were kept.
/// </summary>
public sealed record HeldOutSummary(double MeanSampleError, double RelativeError, double MaxAbsError, int? ArgmaxKept);
