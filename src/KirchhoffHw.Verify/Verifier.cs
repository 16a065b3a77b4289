using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KirchhoffHw.Generate.Dialects;
using KirchhoffHw.Generate.Dialects.Ngspice;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Reference;
using KirchhoffHw.Simulate;

namespace KirchhoffHw.Verify;

/// <summary>Progress of a verification run: what stage, how many cases are done.</summary>
public readonly record struct VerifyProgress(string Stage, int Done, int Total, CaseVerdict? Last = null);

/// <summary>
/// Runs every case through the circuit and holds it against the reference, then judges the run as a task (the
/// pass rule of every verification lives here and in <see cref="TaskRule"/>). Each finished case is appended to a
/// journal beside the output, so an interrupted batch resumes without redoing finished cases; the journal is keyed
/// by the design, the options and the input, so a changed run never reuses stale results. Where cases run is the
/// <see cref="ICaseRunner"/>'s business.
/// </summary>
public sealed class Verifier
{
    private readonly Design design;
    private VerifyOptions options;
    private readonly Func<ISpiceSimulator> _simulators;
    private readonly ICaseRunner _runner;
    private readonly bool _ownsSimulators;
    private readonly string source;
    private readonly string _simulatorName;
    private readonly ISimulationDialect _dialect;

    /// <summary>Runs every case, one after another, on <paramref name="simulator"/> (which the caller owns).</summary>
    public Verifier(Design design, VerifyOptions options, ISpiceSimulator simulator, string source = "")
        : this(design, options, new NgspiceEmitter(), () => simulator, new LocalCaseRunner(1), source, owns: false, simulator.Name) { }

    /// <summary>
    /// Runs up to <paramref name="jobs"/> cases at once, each job on its own simulator from <paramref name="simulators"/>:
    /// ngspice keeps global state, so parallel cases need separate simulator processes.
    /// </summary>
    public Verifier(Design design, VerifyOptions options, Func<ISpiceSimulator> simulators, int jobs, string source = "")
        : this(design, options, new NgspiceEmitter(), simulators, new LocalCaseRunner(jobs), source, owns: true, null) { }

    /// <summary>Runs the cases on <paramref name="backend"/>'s simulators, wherever <paramref name="runner"/> puts them.</summary>
    public Verifier(Design design, VerifyOptions options, CoSimBackend backend, ICaseRunner runner, string source = "")
        : this(design, options, backend.Dialect, backend.Simulators, runner, source, owns: true, null) { }

    private Verifier(Design design, VerifyOptions options, ISimulationDialect dialect, Func<ISpiceSimulator> simulators, ICaseRunner runner,
        string source, bool owns, string? name)
    {
        this.design = design;
        this.options = options;
        _dialect = dialect;
        _simulators = simulators;
        _runner = runner;
        _ownsSimulators = owns;
        this.source = source;
        if (name is null)
        {
            using var probe = simulators();
            name = probe.Name;
        }
        _simulatorName = name;
    }

    /// <summary>The model times, besides the layer boundaries, at which a verification compares trajectories.</summary>
    public static IReadOnlyList<double> SampleTimes(Design design, VerifyOptions options) => CoSimulation.SampleTimesOf(design, options);

    /// <summary>Solves the reference on <paramref name="inputs"/>, then verifies against it.</summary>
    public VerifyReport Run(IReadOnlyList<double[]> inputs, string? journalPath = null, IProgress<VerifyProgress>? progress = null,
        CancellationToken cancel = default)
    {
        progress?.Report(new VerifyProgress("reference", 0, inputs.Count));
        var reference = ReferenceRun.Solve(design, inputs, options.Reference, SampleTimes(design, options), cancel: cancel);
        return Run(reference, journalPath, progress, cancel);
    }

    /// <summary>
    /// Verifies against a reference already solved on the inputs (<see cref="ReferenceRun"/> of this design at
    /// <see cref="VerifyOptions.Reference"/>, recording at least <see cref="SampleTimes"/>).
    /// </summary>
    public VerifyReport Run(ReferenceRun reference, string? journalPath = null, IProgress<VerifyProgress>? progress = null,
        CancellationToken cancel = default)
    {
        var verdicts = Simulate(reference, journalPath, null, progress, cancel);
        return Judge(verdicts!);
    }

    /// <summary>
    /// Simulates the cases of <paramref name="only"/> (every case when null) that the journal has not finished,
    /// journals each verdict and returns the verdicts by index (null for cases outside <paramref name="only"/>).
    /// </summary>
    public CaseVerdict?[] Simulate(ReferenceRun reference, string? journalPath, IReadOnlySet<int>? only,
        IProgress<VerifyProgress>? progress = null, CancellationToken cancel = default)
    {
        if (!ReferenceEquals(reference.Design, design) && reference.Design.Name != design.Name)
            throw new ArgumentException($"the reference run is of design {reference.Design.Name}, not {design.Name}", nameof(reference));
        if (reference.Options != options.Reference)
            throw new ArgumentException("the reference run was solved with other solver options than the verification's", nameof(reference));
        // The deck's error control, unless given, follows the design's dynamic range on these inputs (AccuracyRule).
        if (options.Spice.Accuracy is null)
            options = options with { Spice = options.Spice with { Accuracy = AccuracyRule.For(reference, options.RuleFor(design.Task)) } };
        var inputs = reference.Inputs;
        var runKey = RunKey();
        var done = journalPath is null ? new Dictionary<string, CaseVerdict>() : ReadJournal(journalPath);
        var verdicts = new CaseVerdict?[inputs.Count];
        var pending = new List<PendingCase>();
        var gate = new object();
        int finished = 0, total = only?.Count ?? inputs.Count;
        for (int i = 0; i < inputs.Count; i++)
        {
            if (only is not null && !only.Contains(i)) continue;
            var key = CaseKey(runKey, i, inputs[i]);
            if (done.TryGetValue(key, out var verdict))
            {
                verdicts[i] = verdict;
                progress?.Report(new VerifyProgress("simulate", ++finished, total, verdict));
            }
            else pending.Add(new PendingCase(i, inputs[i], key));
        }
        if (pending.Count > 0 && options.SeedOperatingPoint && options.Spice.Devices is not null)
        {
            progress?.Report(new VerifyProgress("operating point", 0, 1));
            var simulator = _simulators();
            try
            {
                options = options with
                {
                    Spice = OperatingPointSeed.Apply(options.Circuit ?? design, options.Spice, SampleTimes(design, options), _dialect,
                        simulator, options.CaseTimeout, options.CacheDir, cancel),
                };
            }
            finally
            {
                // a caller's simulator runs the cases next
                if (_ownsSimulators) simulator.Dispose();
            }
        }
        var cosim = new CoSimulation(design, options, _dialect);
        var batch = new CaseBatch(pending, inputs.Count, runKey, journalPath, _simulators, _ownsSimulators,
            (simulator, c, token) => cosim.Run(simulator, c.Index, c.Input, reference.CaseAt(c.Index, cosim.SampleTimes), token, reference.Failures[c.Index]));
        var keys = pending.ToDictionary(c => c.Index, c => c.Key);
        _runner.Run(batch, verdict =>
        {
            lock (gate)
            {
                if (!keys.TryGetValue(verdict.Index, out var key) || verdicts[verdict.Index] is not null) return;
                // a missing simulator is the machine's state, not the case's result: never resumed from
                if (journalPath is not null && verdict.Status != SimulationStatus.SimulatorMissing) AppendJournal(journalPath, key, verdict);
                verdicts[verdict.Index] = verdict;
                progress?.Report(new VerifyProgress("simulate", ++finished, total, verdict));
            }
        }, cancel);
        foreach (var c in pending)
            if (verdicts[c.Index] is null) throw new InvalidOperationException($"the case runner returned no verdict for case {c.Index}");
        return verdicts;
    }

    /// <summary>The run's verdict from every case's: task figures, timescale, dynamic range against the rails, the pass rule.</summary>
    public VerifyReport Judge(IReadOnlyList<CaseVerdict> verdicts)
    {
        double tolerance = options.ToleranceFor(design.Task);
        var summary = Summarize(verdicts, tolerance);
        var simulated = verdicts.Where(v => v.Circuit is not null).ToList();
        var settles = simulated.Select(v => v.SettleTime).ToList();
        double expected = design.TEnd * design.Units.TimeUnit;
        double lastTime = simulated.Count == 0 ? 0 : simulated.Min(v => v.Circuit!.LastTime) * design.Units.TimeUnit;
        var timescale = new TimescaleCheck(expected, lastTime,
            settles.Any(s => s is null) || settles.Count == 0 ? null : settles.Max(),
            simulated.Count > 0 && Math.Abs(lastTime - expected) <= 1e-9 * expected && settles.All(s => s is not null && s <= expected * (1 + 1e-9)));
        var range = verdicts.Aggregate(DynamicRange.Zero, (r, v) => r.Max(v.Range));
        RailsCheck? rails = options.Supply is { } supply && simulated.Count > 0 ? new RailsCheck(supply, range.MaxNodeVolts) : null;
        if (rails is { FailsVerdict: true })
            summary = summary with
            {
                Pass = false,
                Failures = [.. summary.Failures, $"node voltages reach {range.MaxNodeVolts:G4} V, outside the supply rails [{rails.Supply.Vss:G4}, {rails.Supply.Vdd:G4}] V of {rails.Supply.Name}: lower the voltage scale (--voltage-scale auto fits it)"],
            };
        return new VerifyReport(design.Name, source, options.Fidelity, _simulatorName, design.Units, design.Task, tolerance, verdicts,
            summary, timescale, range, summary.Pass && timescale.Pass && verdicts.All(v => v.Pass), options.RuleFor(design.Task), rails, options.VoltageScale,
            AccuracyRule.Effective(options.Spice, design.Units));
    }

    private TaskSummary Summarize(IReadOnlyList<CaseVerdict> verdicts, double tolerance)
    {
        var ok = verdicts.Where(v => v.Circuit is not null && v.ReferenceOutput.Length > 0).ToList();
        var failures = new List<string>();
        int failedSims = verdicts.Count - ok.Count;
        if (failedSims > 0) failures.Add($"{failedSims} of {verdicts.Count} cases did not simulate");
        failures.AddRange(verdicts.Where(v => !v.Pass).Take(5).Select(v => $"case {v.Index}: {string.Join("; ", v.Failures)}"));

        double maxErr = ok.Count == 0 ? double.NaN : ok.Max(v => v.Errors!.Output);
        double rms = ok.Count == 0 ? double.NaN
            : Math.Sqrt(ok.SelectMany(v => v.Circuit!.Output.Zip(v.ReferenceOutput, (a, b) => (a - b) * (a - b))).Average());
        double? agreement = null, minMargin = null, meanSample = null, std = null, energy = null;

        switch (design.Task)
        {
            case TaskKind.Classification when ok.Count > 0:
                agreement = ok.Count(v => Metrics.ArgMax(v.Circuit!.Output) == Metrics.ArgMax(v.ReferenceOutput)) / (double)ok.Count;
                minMargin = ok.Min(v => Metrics.Margin(v.ReferenceOutput));
                if (agreement < 1) failures.Add($"argmax agreement {agreement:P1}");
                break;
            case TaskKind.Generation when ok.Count > 0:
                var circuit = ok.Select(v => v.Circuit!.Output).ToList();
                var reference = ok.Select(v => v.ReferenceOutput).ToList();
                meanSample = ok.Average(v => Metrics.Distance(v.Circuit!.Output, v.ReferenceOutput));
                std = Metrics.PooledStd(reference);
                energy = Metrics.EnergyDistance(circuit, reference);
                if (!TaskRule.Holds(design.Task, agreement, meanSample, std, maxErr, tolerance, options.GenerationRelativeError))
                    failures.Add($"mean per-sample error {meanSample:G3} > {options.GenerationRelativeError:P0} of the reference std {std:G3}");
                break;
        }
        // Every output within the tolerance, and the task kept besides.
        bool pass = failedSims == 0 && ok.Count > 0 && maxErr <= tolerance
            && TaskRule.Holds(design.Task, agreement, meanSample, std, maxErr, tolerance, options.GenerationRelativeError);
        return new TaskSummary(design.Task.ToString().ToLowerInvariant(), verdicts.Count, ok.Count, maxErr, rms, agreement, minMargin,
            meanSample, std, energy, pass, failures);
    }

    private string RunKey()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{design.Name}|{design.NodeCount}|{design.Units}|{design.Input}|{design.Readout}|{_simulatorName}|"));
        hash.AppendData(Encoding.UTF8.GetBytes(OptionsText()));
        foreach (var layer in (options.Circuit ?? design).Layers.Concat(design.Layers))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{layer.Model.Name}|{layer.TStart:R}|{layer.TEnd:R}|"));
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(layer.Edges.Source.AsSpan()));
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(layer.Edges.Destination.AsSpan()));
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(layer.Theta.AsSpan()));
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private string OptionsText()
    {
        var s = options.Spice;
        return string.Join("|", options.Fidelity, s.Devices?.Fidelity ?? "", s.Style, s.MergeThreshold, s.PhaseEdge, s.MaxStepFraction,
            string.Join(",", s.SimulatorOptions.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value)),
            s.Accuracy, options.Reference, options.Tolerance, options.StateAtol, options.StateRtol, options.InitialTolerance, options.SamplesPerLayer);
    }

    private static string CaseKey(string runKey, int index, double[] input)
    {
        var text = runKey + "|" + index + "|" + string.Join(",", input.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The verdicts a journal holds, by case key (a line cut short is skipped: its case is simply redone).</summary>
    public static Dictionary<string, CaseVerdict> ReadJournal(string path)
    {
        var done = new Dictionary<string, CaseVerdict>();
        foreach (var line in Journal.ReadLines(path))
            if (TryParseJournalLine(line, out var entry)) done[entry.Key] = entry.Verdict;
        return done;
    }

    /// <summary>
    /// One journal line: a case's key and verdict as JSON, without the line break. Journals kept elsewhere (an array
    /// task's own file) hold the same lines, so any of them can be merged into a run.
    /// </summary>
    public static string FormatJournalLine(string key, CaseVerdict verdict)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("key", key);
            w.WritePropertyName("verdict");
            VerdictJson.WriteCase(w, verdict);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads a line of <see cref="FormatJournalLine"/>; false for a line cut short by an interruption or not a journal entry.</summary>
    public static bool TryParseJournalLine(string line, out (string Key, CaseVerdict Verdict) entry)
    {
        entry = default;
        try
        {
            using var doc = JsonDocument.Parse(line);
            entry = (doc.RootElement.GetProperty("key").GetString()!, VerdictJson.ReadCase(doc.RootElement.GetProperty("verdict")));
            return true;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            return false;
        }
    }

    private static void AppendJournal(string path, string key, CaseVerdict verdict)
    {
        Journal.Append(path, Encoding.UTF8.GetBytes(FormatJournalLine(key, verdict) + "\n"));
    }
}
