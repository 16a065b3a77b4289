using System.Collections.Concurrent;
using KirchhoffHw.Simulate;

namespace KirchhoffHw.Verify;

/// <summary>A case still to be simulated: its index in the run, its input and its journal key.</summary>
public sealed record PendingCase(int Index, double[] Input, string Key);

/// <summary>
/// The cases of one verification that no journal has finished yet, and how to run one of them in this process.
/// <see cref="RunKey"/> identifies the run (design, circuit, options, simulator): a journal line written under it,
/// by this process or another, holds for this run only.
/// </summary>
public sealed class CaseBatch(IReadOnlyList<PendingCase> pending, int total, string runKey, string? journalPath,
    Func<ISpiceSimulator> simulators, bool ownsSimulators, Func<ISpiceSimulator, PendingCase, CancellationToken, CaseVerdict> run)
{
    public IReadOnlyList<PendingCase> Pending { get; } = pending;
    /// <summary>Cases in the whole run, finished ones included.</summary>
    public int Total { get; } = total;
    public string RunKey { get; } = runKey;
    /// <summary>The run's journal (finished cases, one JSON line each; read with <see cref="Verifier.ReadJournal"/>); null when not journaled.</summary>
    public string? JournalPath { get; } = journalPath;
    public Func<ISpiceSimulator> Simulators { get; } = simulators;
    /// <summary>False when the simulators belong to the caller, who disposes them.</summary>
    public bool OwnsSimulators { get; } = ownsSimulators;

    /// <summary>Simulates one case here and judges it against its reference.</summary>
    public CaseVerdict RunLocal(ISpiceSimulator simulator, PendingCase c, CancellationToken cancel) => run(simulator, c, cancel);
}

/// <summary>
/// Where the cases of a verification run. The verifier hands over the pending cases and takes back each verdict as
/// it arrives (it journals them and puts them in input order), so a runner that spreads cases over other processes
/// or machines, each writing its own journal, plugs in by reading those journals back and reporting their verdicts.
/// </summary>
public interface ICaseRunner
{
    /// <param name="finished">Called once per case with its verdict; may be called from several threads at once.</param>
    void Run(CaseBatch batch, Action<CaseVerdict> finished, CancellationToken cancel);
}

/// <summary>Runs up to <paramref name="jobs"/> cases at once in this process, each job on its own simulator.</summary>
public sealed class LocalCaseRunner(int jobs) : ICaseRunner
{
    public int Jobs { get; } = Math.Max(1, jobs);

    public void Run(CaseBatch batch, Action<CaseVerdict> finished, CancellationToken cancel)
    {
        var pool = new ConcurrentBag<ISpiceSimulator>();
        // the cores shared out between the simulators that run at once (ngspice's own default is two threads each)
        int threads = SimulationRequest.ThreadsFor(Math.Min(Jobs, Math.Max(1, batch.Pending.Count)));
        try
        {
            Parallel.ForEach(batch.Pending, new ParallelOptions { MaxDegreeOfParallelism = Jobs, CancellationToken = cancel }, c =>
            {
                if (!pool.TryTake(out var simulator)) simulator = new Threaded(batch.Simulators(), threads);
                CaseVerdict verdict;
                try { verdict = batch.RunLocal(simulator, c, cancel); }
                finally { pool.Add(simulator); }
                finished(verdict);
            });
        }
        finally
        {
            if (batch.OwnsSimulators) foreach (var s in pool) s.Dispose();
        }
    }

    /// <summary>A simulator whose runs use <paramref name="threads"/> unless a request says otherwise.</summary>
    private sealed class Threaded(ISpiceSimulator inner, int threads) : ISpiceSimulator
    {
        public string Name => inner.Name;
        public SimulationResult Run(SimulationRequest request, CancellationToken cancel = default) =>
            inner.Run(request.Threads is null ? request with { Threads = threads } : request, cancel);
        public void Dispose() => inner.Dispose();
    }
}
