namespace KirchhoffHw.Simulate;

/// <summary>
/// One transient run. <paramref name="Deck"/> is the full deck text (title line, .tran, .end) without a
/// .control block: each backend adds what it needs. <paramref name="Vectors"/> names the vectors to return
/// (e.g. "v(n1)"); time is always returned. <see cref="AllVoltages"/> (<c>v(*)</c>) asks for every node voltage of the
/// run, subcircuit nets included, each keyed <c>v(net)</c>.
/// </summary>
public sealed record SimulationRequest(string Deck, IReadOnlyList<string> Vectors, TimeSpan Timeout)
{
    public const string AllVoltages = "v(*)";

    /// <summary>
    /// Threads ngspice may use to evaluate device models (its OpenMP `num_threads`); null = ngspice's own default (2).
    /// Runs side by side on a machine's cores do more per second with one thread each than with two fighting for a core.
    /// </summary>
    public int? Threads { get; init; }

    /// <summary>Threads for each of <paramref name="jobs"/> runs sharing this machine's cores: one at least.</summary>
    public static int ThreadsFor(int jobs) => Math.Max(1, Environment.ProcessorCount / Math.Max(1, jobs));

    /// <summary>
    /// The requested vectors against a run's vector names (as the raw file or libngspice lists them): every request's
    /// match, <see cref="AllVoltages"/> expanded to each node voltage, and the requests no name matches.
    /// </summary>
    public static (List<(string Key, string Name)> Found, List<string> Missing) Match(IReadOnlyList<string> requested,
        IReadOnlyCollection<string> names, Func<string, bool> isVoltage)
    {
        var set = new HashSet<string>(names, StringComparer.OrdinalIgnoreCase);
        var found = new List<(string, string)>();
        var missing = new List<string>();
        foreach (var name in requested)
        {
            if (name == AllVoltages)
            {
                foreach (var n in names.Where(isVoltage))
                    found.Add((n.StartsWith("v(", StringComparison.OrdinalIgnoreCase) ? n.ToLowerInvariant() : $"v({n.ToLowerInvariant()})", n));
                continue;
            }
            var match = Ngspice.NgspiceLog.Candidates(name).FirstOrDefault(set.Contains);
            if (match is null) missing.Add(name);
            else found.Add((name, match));
        }
        return (found, missing);
    }
}

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
