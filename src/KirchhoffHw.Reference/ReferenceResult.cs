namespace KirchhoffHw.Reference;

/// <summary>
/// Work done for one case, as a solver running that case alone would do it: accepted and rejected steps and
/// right-hand-side evaluations (one evaluation = every device of the layer once). Later stages compare the
/// digital cost of a forward pass with these.
/// </summary>
public sealed record SolverStats(long Accepted, long Rejected, long RhsEvaluations)
{
    public static readonly SolverStats Zero = new(0, 0, 0);
    public static SolverStats operator +(SolverStats a, SolverStats b) =>
        new(a.Accepted + b.Accepted, a.Rejected + b.Rejected, a.RhsEvaluations + b.RhsEvaluations);
    public static SolverStats operator -(SolverStats a, SolverStats b) =>
        new(a.Accepted - b.Accepted, a.Rejected - b.Rejected, a.RhsEvaluations - b.RhsEvaluations);
}

/// <summary>
/// One case's trajectory: the read-out voltages at the end, the state of nodes 1..N at the end of every layer,
/// the state at each requested sample time (in the order requested) and the solver's work.
/// </summary>
public sealed record CaseResult(
    double[] Output,
    IReadOnlyList<(double T, double[] State)> Boundaries,
    IReadOnlyList<(double T, double[] State)> Samples,
    SolverStats Stats)
{
    /// <summary>
    /// The work of each layer alone (they sum to <see cref="Stats"/>). Every layer starts its step control afresh,
    /// so a layer's figures are what a solve of the design cut after that layer would add for it.
    /// </summary>
    public IReadOnlyList<SolverStats> LayerStats { get; init; } = [];
}

/// <param name="BatchedRhsEvaluations">Batched right-hand-side calls actually made, summed over chunks (each covers a whole chunk).</param>
public sealed record ReferenceResult(
    IReadOnlyList<CaseResult> Cases,
    SolverOptions Options,
    long BatchedRhsEvaluations,
    TimeSpan Elapsed)
{
    public SolverStats Total => Cases.Aggregate(SolverStats.Zero, (s, c) => s + c.Stats);
}
