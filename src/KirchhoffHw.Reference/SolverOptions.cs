namespace KirchhoffHw.Reference;

public enum SolverMethod { Dopri5, Rk4 }

/// <summary>
/// How the reference integrates. <see cref="RelTol"/>/<see cref="AbsTol"/> drive Dopri5's step control,
/// <see cref="Rk4Step"/> is the fixed step of Rk4 (shortened so every layer has a whole number of steps),
/// <see cref="MaxSteps"/> bounds the attempted steps of one case over the whole run.
/// </summary>
public sealed record SolverOptions(SolverMethod Method, double RelTol, double AbsTol, double Rk4Step, int MaxSteps)
{
    public static readonly SolverOptions Default = new(SolverMethod.Dopri5, 1e-3, 1e-3, 1e-3, 1_000_000);

    /// <summary>The golden model every circuit is held against: tight enough that its own error is negligible against any tolerance.</summary>
    public static readonly SolverOptions Golden = Default with { RelTol = 1e-9, AbsTol = 1e-9 };

    /// <summary>
    /// Lanes of one SIMD batch: cases integrated together. Every case keeps its own step size, so the results
    /// do not depend on it; it only trades per-edge overhead against lanes idling at the end of a block
    /// (Dopri5 refills a lane with the next case as soon as its case leaves the layer; Rk4 does not).
    /// </summary>
    public int ChunkSize { get; init; } = 16;

    /// <summary>
    /// Dopri5's cases are cut into this many contiguous blocks that run in parallel (default: four per core).
    /// Like <see cref="ChunkSize"/>, it changes no case's answer, only how work is shared.
    /// </summary>
    public int? Blocks { get; init; }

    public static SolverOptions Dopri5(double tol) => Default with { RelTol = tol, AbsTol = tol };

    public static SolverOptions Rk4(double step) => Default with { Method = SolverMethod.Rk4, Rk4Step = step };

    internal void Validate()
    {
        var problems = new List<string>();
        if (Method == SolverMethod.Dopri5 && !(RelTol > 0 && AbsTol > 0 && double.IsFinite(RelTol) && double.IsFinite(AbsTol)))
            problems.Add($"Dopri5 needs positive finite tolerances, got rtol={RelTol}, atol={AbsTol}");
        if (Method == SolverMethod.Rk4 && !(Rk4Step > 0 && double.IsFinite(Rk4Step)))
            problems.Add($"Rk4 needs a positive finite step, got {Rk4Step}");
        if (MaxSteps <= 0) problems.Add($"MaxSteps must be positive, got {MaxSteps}");
        if (ChunkSize <= 0) problems.Add($"ChunkSize must be positive, got {ChunkSize}");
        if (Blocks <= 0) problems.Add($"Blocks must be positive, got {Blocks}");
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
    }
}
