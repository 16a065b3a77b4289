using KirchhoffHw.Model;

namespace KirchhoffHw.Reference;

/// <summary>
/// The reference on one input set, solved once and handed to every stage that needs golden trajectories: the
/// state at every layer boundary and at every sample time any of them asked for. A stage reads the times it needs
/// (<see cref="CaseAt"/>, <see cref="StateAt"/>); the solver's dense output makes a state at a time independent of
/// which other times were recorded, so a stage sees the same numbers as from a solve of its own.
/// </summary>
public sealed class ReferenceRun
{
    private readonly Dictionary<double, int> _slot;

    public Design Design { get; }
    public IReadOnlyList<double[]> Inputs { get; }
    public SolverOptions Options { get; }

    /// <summary>Every recorded sample time, ascending and distinct.</summary>
    public IReadOnlyList<double> SampleTimes { get; }

    /// <summary>Per input, its trajectory; null when the solver could not follow that input (<see cref="Failures"/> says why).</summary>
    public IReadOnlyList<CaseResult?> Cases { get; }
    public IReadOnlyList<string?> Failures { get; }
    public TimeSpan Elapsed { get; }

    private ReferenceRun(Design design, IReadOnlyList<double[]> inputs, SolverOptions options, double[] times,
        CaseResult?[] cases, string?[] failures, TimeSpan elapsed)
    {
        Design = design;
        Inputs = inputs;
        Options = options;
        SampleTimes = times;
        Cases = cases;
        Failures = failures;
        Elapsed = elapsed;
        _slot = new Dictionary<double, int>(times.Length);
        for (int i = 0; i < times.Length; i++) _slot[times[i]] = i;
    }

    /// <summary>
    /// Solves every input in one batch. A design can diverge for some inputs (the solver then gives up with a
    /// message); only then are the cases solved one by one, so one bad input costs only its own case.
    /// </summary>
    public static ReferenceRun Solve(Design design, IReadOnlyList<double[]> inputs, SolverOptions options, IEnumerable<double> sampleTimes,
        IReferenceSolver? solver = null, CancellationToken cancel = default)
    {
        solver ??= ReferenceSolver.Default;
        var times = sampleTimes.Distinct().Order().ToArray();
        var cases = new CaseResult?[inputs.Count];
        var failures = new string?[inputs.Count];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var all = solver.Solve(design, inputs, options, times, cancel: cancel);
            for (int i = 0; i < inputs.Count; i++) cases[i] = all.Cases[i];
        }
        catch (KirchhoffHwException) when (inputs.Count > 0)
        {
            for (int i = 0; i < inputs.Count; i++)
            {
                try { cases[i] = solver.Solve(design, [inputs[i]], options, times, cancel: cancel).Cases[0]; }
                catch (KirchhoffHwException e) { failures[i] = string.Join("; ", e.Diagnostics.Select(d => d.Message)); }
            }
        }
        return new ReferenceRun(design, inputs, options, times, cases, failures, clock.Elapsed);
    }

    /// <summary>
    /// The run over every input with only the cases in <paramref name="only"/> solved: what a share of a batch run
    /// elsewhere needs. Each case keeps its own steps in a batch, so a solved case has the numbers of a full
    /// <see cref="Solve"/>; the others have no trajectory and say so in <see cref="Failures"/>.
    /// </summary>
    public static ReferenceRun SolveSome(Design design, IReadOnlyList<double[]> inputs, IReadOnlySet<int> only, SolverOptions options,
        IEnumerable<double> sampleTimes, IReferenceSolver? solver = null, CancellationToken cancel = default)
    {
        var chosen = Enumerable.Range(0, inputs.Count).Where(only.Contains).ToList();
        var part = Solve(design, chosen.Select(i => inputs[i]).ToList(), options, sampleTimes, solver, cancel);
        var cases = new CaseResult?[inputs.Count];
        var failures = Enumerable.Repeat<string?>("not solved: outside the cases this run was asked for", inputs.Count).ToArray();
        for (int k = 0; k < chosen.Count; k++)
        {
            cases[chosen[k]] = part.Cases[k];
            failures[chosen[k]] = part.Failures[k];
        }
        return new ReferenceRun(design, inputs, options, [.. part.SampleTimes], cases, failures, part.Elapsed);
    }

    public bool Records(double t) => _slot.ContainsKey(t);

    /// <summary>Case <paramref name="index"/>'s state (nodes 1..N) at a recorded sample time.</summary>
    public double[] StateAt(int index, double t) =>
        (Cases[index] ?? throw new InvalidOperationException($"case {index} has no reference trajectory")).Samples[Slot(t)].State;

    /// <summary>Case <paramref name="index"/> as a solve asking for exactly <paramref name="times"/> would give it; null when the reference failed for it.</summary>
    public CaseResult? CaseAt(int index, IReadOnlyList<double> times)
    {
        if (Cases[index] is not { } c) return null;
        return c with { Samples = times.Select(t => c.Samples[Slot(t)]).ToList() };
    }

    private int Slot(double t) => _slot.TryGetValue(t, out var s) ? s
        : throw new ArgumentOutOfRangeException(nameof(t), t, "the reference run did not record this time; ask for it when solving");
}
