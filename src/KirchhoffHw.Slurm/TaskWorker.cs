using System.Globalization;
using KirchhoffHw.Flow;
using KirchhoffHw.Import;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;
using KirchhoffHw.Slurm.Journal;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Slurm;

/// <summary>What one array task did: its cases, how many it simulated and how many a journal already held.</summary>
public sealed record TaskOutcome(int Task, int Cases, int Simulated, int AlreadyJournaled, string JournalPath);

/// <summary>
/// One array task of a verification run through Slurm: rebuilds the run from its <see cref="TaskPlan"/> the way the
/// submitting command built it (the design in its units, the reference on the task's inputs, the circuit lowered
/// to its fidelity) and simulates its share of the cases, appending each verdict to its own journal as it
/// finishes. Cases any task already journaled (a task Slurm requeued, a rerun) are not simulated again.
/// </summary>
public static class TaskWorker
{
    /// <param name="journalPath">The task's journal; null = its file in the plan's journal folder.</param>
    /// <param name="caseDone">Called with every verdict, simulated here or found journaled.</param>
    public static TaskOutcome Run(string planPath, int task, string? journalPath = null, int jobs = 1,
        Action<CaseVerdict>? caseDone = null, CancellationToken cancel = default)
    {
        var plan = TaskPlan.Load(planPath);
        if (task < 0 || task >= plan.Tasks.Count)
            throw new KirchhoffHwException(planPath, $"the plan has tasks 0 to {plan.Tasks.Count - 1}, not {task}");
        var cases = plan.Tasks[task];
        journalPath ??= TaskJournal.FileFor(plan.JournalDirectory, task);
        // Taken first: a second run of this task (resubmitted while the first still writes) stops here, before any work.
        using var journal = TaskJournalWriter.Open(journalPath);
        var done = JournaledVerdicts(plan.JournalDirectory);

        var backend = CoSimBackend.All.FirstOrDefault(b => b.Name == plan.Backend)
            ?? throw new KirchhoffHwException(planPath, $"backend '{plan.Backend}' is not one of {string.Join(", ", CoSimBackend.All.Select(b => b.Name))}");
        var design = ModelLoader.Load(plan.Model, plan.Config).Design.With(units: plan.Units);
        var options = plan.Options;
        var times = Verifier.SampleTimes(design, options).Concat(plan.Fidelity == Fidelity.Ideal ? [] : CellStage.RangeTimes(design));
        var slice = cases.Select(c => c.Index).ToHashSet();
        // An ideal circuit needs only this task's trajectories; a lowered one is fitted over the range every input reaches.
        var reference = plan.Fidelity == Fidelity.Ideal
            ? ReferenceRun.SolveSome(design, plan.Inputs, slice, options.Reference, times, cancel: cancel)
            : ReferenceRun.Solve(design, plan.Inputs, options.Reference, times, cancel: cancel);
        var circuit = new CellStage(plan.Tech).Lower(design, plan.Fidelity, reference).Lowered;

        var runner = new JournalingRunner(new LocalCaseRunner(jobs), journal, done, plan, planPath, cases);
        new Verifier(design, VerifyStage.OptionsFor(circuit, options), backend, runner).Simulate(reference, null, slice,
            new Reporter(p => { if (p.Last is { } v) caseDone?.Invoke(v); }), cancel);
        return new TaskOutcome(task, cases.Count, runner.Simulated, runner.AlreadyJournaled, journal.Path);
    }

    /// <summary>The task's share of <c>SLURM_CPUS_PER_TASK</c> cases at once (one CPU, so one case, unless the job asked for more).</summary>
    public static int JobsFromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable("SLURM_CPUS_PER_TASK"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 1;

    /// <summary>Every verdict in a run's task journals, by case key.</summary>
    public static Dictionary<string, CaseVerdict> JournaledVerdicts(string directory)
    {
        var done = new Dictionary<string, CaseVerdict>();
        foreach (var e in TaskJournal.Read<(string Key, CaseVerdict Verdict)>(directory, Verifier.TryParseJournalLine).Entries)
            done[e.Value.Key] = e.Value.Verdict;
        return done;
    }

    /// <summary>
    /// Runs the task's cases here and appends each verdict to the task's journal before handing it on; hands on
    /// journaled verdicts without simulating them. Refuses a run whose keys differ from the plan's.
    /// </summary>
    private sealed class JournalingRunner(ICaseRunner inner, TaskJournalWriter journal, IReadOnlyDictionary<string, CaseVerdict> done,
        TaskPlan plan, string planPath, IReadOnlyList<PlannedCase> cases) : ICaseRunner
    {
        public int Simulated { get; private set; }
        public int AlreadyJournaled { get; private set; }

        public void Run(CaseBatch batch, Action<CaseVerdict> finished, CancellationToken cancel)
        {
            var planned = cases.ToDictionary(c => c.Index, c => c.Key);
            if (batch.RunKey != plan.RunKey || batch.Pending.Any(c => !planned.TryGetValue(c.Index, out var key) || key != c.Key))
                throw new KirchhoffHwException(planPath, "this task rebuilt a different verification than the one submitted " +
                    "(the model, its config, the technology or kirchhoffhw itself changed since): it journals nothing; " +
                    "rerun the command to submit the run as it is now");
            var todo = new List<PendingCase>();
            foreach (var c in batch.Pending)
            {
                if (done.TryGetValue(c.Key, out var verdict))
                {
                    AlreadyJournaled++;
                    finished(verdict);
                }
                else todo.Add(c);
            }
            var gate = new object();
            var keys = todo.ToDictionary(c => c.Index, c => c.Key);
            inner.Run(new CaseBatch(todo, batch.Total, batch.RunKey, null, batch.Simulators, batch.OwnsSimulators, batch.RunLocal), verdict =>
            {
                lock (gate)
                {
                    journal.Append(Verifier.FormatJournalLine(keys[verdict.Index], verdict));
                    Simulated++;
                }
                finished(verdict);
            }, cancel);
        }
    }

    private sealed class Reporter(Action<VerifyProgress> report) : IProgress<VerifyProgress>
    {
        public void Report(VerifyProgress value) => report(value);
    }
}
