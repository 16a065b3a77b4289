namespace KirchhoffHw.Reference;

/// <summary>
/// A loss on one case's computed trajectory. Returns the case's loss and writes dLoss/d(state of nodes 1..N at the end
/// of layer l) into <c>boundaryGradient[l]</c> (zeroed beforehand; the outputs are nodes of the last boundary). Called
/// from several threads at once, one call per case, so it must not share mutable state between cases.
/// </summary>
public delegate double CaseLoss(int caseIndex, CaseResult forward, double[][] boundaryGradient);

/// <summary>How <see cref="Sensitivities"/> stores and schedules its work (the integration itself follows <see cref="SolverOptions"/>).</summary>
public sealed record SensitivityOptions
{
    public static readonly SensitivityOptions Default = new();

    /// <summary>
    /// Accepted steps between stored states (K). A case keeps N x (sum over layers of ceil(S_l / K)) doubles of
    /// checkpoints and one step size per step; a lane of the backward pass keeps 6 K (N + 1) stage inputs while it
    /// re-runs one stretch of K steps. Larger K trades memory for lanes idling in the stretch's shorter tail.
    /// </summary>
    public int CheckpointInterval { get; init; } = 8;

    /// <summary>
    /// Bytes a block may spend keeping every accepted step's slopes k1..k6 (6 N doubles a step), so the backward pass
    /// rebuilds each stage input from them instead of evaluating the right-hand side again: a third of a gradient's work
    /// on designs whose steps fit. A block whose steps outgrow it drops what it kept and re-runs its stretches (0: always).
    /// </summary>
    public long SlopeBudgetBytes { get; init; } = 256L << 20;

    /// <summary>
    /// Cases per block, a block being one thread's unit of work (0: four batches of <see cref="SolverOptions.ChunkSize"/>).
    /// Parameter gradients are summed per block and blocks in order, so results depend on this and the chunk size,
    /// never on the thread count.
    /// </summary>
    public int BlockSize { get; init; }

    /// <summary>Threads at most (-1: as many as the runtime offers).</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    internal int BlockCases(SolverOptions o) => BlockSize > 0 ? BlockSize : 4 * o.ChunkSize;

    internal void Validate()
    {
        var problems = new List<string>();
        if (CheckpointInterval < 1) problems.Add($"CheckpointInterval must be at least 1, got {CheckpointInterval}");
        if (SlopeBudgetBytes < 0) problems.Add($"SlopeBudgetBytes must be 0 or positive, got {SlopeBudgetBytes}");
        if (BlockSize < 0) problems.Add($"BlockSize must be 0 (automatic) or positive, got {BlockSize}");
        if (MaxDegreeOfParallelism == 0 || MaxDegreeOfParallelism < -1) problems.Add($"MaxDegreeOfParallelism must be -1 or positive, got {MaxDegreeOfParallelism}");
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
    }
}

/// <summary>
/// Work of one sensitivity run, in batched right-hand-side calls (each covers a whole batch of lanes): the forward
/// pass, the re-run of checkpointed stretches, and the reverse-mode products; plus the accepted steps and stored
/// checkpoint states over all cases, and the batch width.
/// </summary>
public sealed record SensitivityStats(long ForwardBatchedRhs, long RecomputeBatchedRhs, long AdjointBatchedCalls,
    long AcceptedSteps, long CheckpointStates, int Width);

/// <summary>
/// Gradients of a loss summed over cases. <see cref="Cases"/> is the forward pass, the same bits
/// <see cref="ReferenceSolver.Solve"/> returns (without samples). <see cref="ThetaGradients"/>[l] is laid out like
/// layer l's <see cref="Model.Layer.Theta"/>; <see cref="TrimGradient"/> is d/d(trim of node k), index 0 node 1,
/// whether or not the design has trims.
/// </summary>
public sealed record SensitivityResult(
    double Loss,
    IReadOnlyList<double> CaseLosses,
    IReadOnlyList<CaseResult> Cases,
    IReadOnlyList<double[]> InitialStateGradients,
    IReadOnlyList<double[]> InputGradients,
    IReadOnlyList<double[]> ThetaGradients,
    double[] TrimGradient,
    SensitivityStats Stats,
    TimeSpan Elapsed)
{
    /// <summary>Time in the forward pass, summed over the blocks (thread time, so it can exceed <see cref="Elapsed"/>).</summary>
    public TimeSpan ForwardTime { get; init; }
    /// <summary>Time in the backward pass (re-run stretches and reverse-mode products), summed over the blocks.</summary>
    public TimeSpan BackwardTime { get; init; }
}
