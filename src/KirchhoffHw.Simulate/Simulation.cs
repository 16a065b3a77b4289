namespace KirchhoffHw.Simulate;

/// <summary>
/// One transient run. <paramref name="Deck"/> is the full deck text (title line, .tran, .end) without a
/// .control block: each backend adds what it needs. <paramref name="Vectors"/> names the vectors to return
/// (e.g. "v(n1)"); time is always returned.
/// </summary>
public sealed record SimulationRequest(string Deck, IReadOnlyList<string> Vectors, TimeSpan Timeout);

public enum SimulationStatus { Ok, ConvergenceFailure, Timeout, SimulatorMissing, SimulatorCrashed, DeckError }

/// <summary>
/// Outcome of one run. <see cref="Vectors"/> is keyed by the requested names, case-insensitively; on a
/// failure it holds whatever the simulator produced before failing (possibly nothing). <see cref="Log"/> is
/// the simulator's whole output, <see cref="Message"/> a one-line reason when the status is not Ok.
/// </summary>
public sealed record SimulationResult(
    SimulationStatus Status,
    double[] Time,
    IReadOnlyDictionary<string, double[]> Vectors,
    string Log,
    TimeSpan Elapsed,
    string? Message)
{
    public bool IsOk => Status == SimulationStatus.Ok;

    internal static SimulationResult Failed(SimulationStatus status, string message, string log, TimeSpan elapsed) =>
        new(status, [], EmptyVectors(), log, elapsed, message);

    internal static Dictionary<string, double[]> EmptyVectors() => new(StringComparer.OrdinalIgnoreCase);
}

public interface ISpiceSimulator : IDisposable
{
    string Name { get; }

    /// <summary>Runs one deck. Never throws for simulator problems (they are statuses); throws
    /// <see cref="OperationCanceledException"/> when <paramref name="cancel"/> fires.</summary>
    SimulationResult Run(SimulationRequest request, CancellationToken cancel = default);
}
