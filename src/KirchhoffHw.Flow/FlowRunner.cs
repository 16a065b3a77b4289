using System.Diagnostics;
using System.Globalization;
using KirchhoffHw.Cells;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;
using KirchhoffHw.Report;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Flow;

/// <summary>Progress of one stage of the flow: done of total steps, with an optional note (a case's verdict).</summary>
public readonly record struct FlowProgress(string Stage, int Done, int Total, string? Note = null);

/// <summary>Everything one run of the flow needs, already parsed and checked.</summary>
public sealed record FlowPlan
{
    /// <summary>The design in the chosen units.</summary>
    public required Design Design { get; init; }
    public required string Source { get; init; }
    public required IReadOnlyList<double[]> Inputs { get; init; }
    public required string InputOrigin { get; init; }
    public int? Seed { get; init; }

    /// <summary>The technology; null = the shipped default, whose cells are characterized only if a MOS fidelity needs them.</summary>
    public string? TechPath { get; init; }

    public required string OutputDirectory { get; init; }
    public required string Command { get; init; }
    public IReadOnlyList<Fidelity> Fidelities { get; init; } = [Fidelity.Ideal];

    /// <summary>False: generate and report, but simulate nothing (the report says verification was not run).</summary>
    public bool Verify { get; init; } = true;
    public VerifyOptions VerifyOptions { get; init; } = VerifyOptions.Default;
    public CoSimBackend Backend { get; init; } = CoSimBackend.NgspiceShared;

    /// <summary>Where a verification's cases run (a scheduler's job array, say); null = this process, <see cref="Jobs"/> at a time.</summary>
    public Func<VerifyRequest, ICaseRunner>? Runner { get; init; }
    public int Jobs { get; init; } = Environment.ProcessorCount;
    public double DigitalTolerance { get; init; } = 1e-3;
    public DateTimeOffset Generated { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>What solves the reference (the golden run and the digital comparison's).</summary>
    public IReferenceSolver Solver { get; init; } = ReferenceSolver.Default;

    /// <summary>How a technology's cells are characterized; null = ngspice, cached on disk.</summary>
    public Func<Technology, ICharacterizer>? Characterizers { get; init; }

    /// <summary>
    /// What the circuit must compute when it is not <see cref="Design"/>'s own laws: a calibrated design's trained
    /// network (same topology and name). Null = the design.
    /// </summary>
    public Design? Target { get; init; }

    /// <summary>Calibrate <see cref="Design"/> (its teacher field is replaced by the design) before generating; null = no calibration.</summary>
    public CalibrationRequest? Calibrate { get; init; }

    /// <summary>`--voltage-scale auto`: the margin inside the technology's rails the voltage scale is chosen for; null = the design's voltage scale as given.</summary>
    public double? AutoVoltageMargin { get; init; }

    /// <summary>
    /// The timescale, measured: the highest of <see cref="Fidelities"/> verified again at each of these time units
    /// (capacitance and voltage scale held), as `verify --time-units` does, and put in the report. Empty = none.
    /// </summary>
    public IReadOnlyList<double> TimeUnits { get; init; } = [];
}

/// <summary>What a run of the flow left behind: the report, every file written and how long each stage took.</summary>
public sealed record FlowResult(ChipReport Report, IReadOnlyList<string> Files, IReadOnlyList<(string Stage, TimeSpan Elapsed)> Stages, string HtmlPath);

/// <summary>
/// The one-command pipeline, a stage after another: the reference (solved once, for every stage after it), the
/// technology's cells (only when a MOS fidelity or an explicit technology asks for them), generate (a deck per
/// fidelity and Verilog-AMS), verify per fidelity, report. A failed verification is part of the result, never an
/// exception: the report shows it.
/// </summary>
public static class FlowRunner
{
    public static FlowResult Run(FlowPlan plan, Action<FlowProgress>? progress = null, CancellationToken cancel = default)
    {
        var design = plan.Design;
        var target = plan.Target ?? design;
        var files = new List<string>();
        var stages = new List<(string, TimeSpan)>();
        var clock = Stopwatch.StartNew();
        void Done(string stage) { stages.Add((stage, clock.Elapsed)); clock.Restart(); }
        string name = Names.Identifier(plan.Design.Name);
        var out_ = plan.OutputDirectory;
        var fidelities = plan.Fidelities.Distinct().ToList();
        var cells = new CellStage(plan.TechPath, plan.Characterizers);
        _ = cells.Technology;
        bool sized = cells.Explicit || fidelities.Any(f => f != Fidelity.Ideal);

        VoltageScaleChoice? scale = null;
        if (plan.Calibrate is { } calibrate)
        {
            int total = calibrate.Iterations;
            progress?.Invoke(new("calibrate", 0, total, "reference and cells"));
            // Calibrated cells hold for the units they were fitted in, so an automatic scale is chosen here, once.
            var outcome = CalibrationStage.Run(calibrate with { Teacher = design, AutoVoltageMargin = plan.AutoVoltageMargin }, cells,
                p => progress?.Invoke(new("calibrate", Math.Min(p.Iteration, total), total, $"loss {p.Loss:G4}")), cancel);
            // The circuit is the calibrated design; what it must compute stays the trained network, in the calibration's units.
            target = design.With(units: outcome.Design.Units);
            design = outcome.Design;
            scale = outcome.VoltageScale;
            var calibrated = Path.Combine(out_, $"{name}.calibrated.yaml");
            Import.DesignYaml.Save(design, calibrated);
            files.Add(calibrated);
            Done("calibrate");
        }

        progress?.Invoke(new("reference", 0, 1, $"{plan.Inputs.Count} inputs"));
        var reference = ReferenceRun.Solve(target, plan.Inputs, plan.VerifyOptions.Reference, TimesOf(design, plan.VerifyOptions, sized), plan.Solver, cancel);
        if (plan.AutoVoltageMargin is { } margin && plan.Calibrate is null)
        {
            (target, reference, scale) = VoltageScaleStage.Apply(reference, cells.Technology, margin);
            design = design.With(units: target.Units);
        }
        var verifyOptions = plan.VerifyOptions with { VoltageScale = scale };
        var spice = AccuracyRule.Apply(verifyOptions.Spice, reference, verifyOptions.RuleFor(design.Task));
        progress?.Invoke(new("reference", 1, 1, scale is null ? null : $"voltage scale {scale.Volts:G4} V"));
        Done("reference");

        if (sized)
        {
            progress?.Invoke(new("technology", 0, 1, "characterizing cells (cached after the first run)"));
            cells.Map(reference);
            progress?.Invoke(new("technology", 1, 1, cells.Technology.Name));
            Done("technology");
        }

        var lowered = fidelities.ToDictionary(f => f, f => cells.Lower(design, f, reference).Lowered);
        int steps = lowered.Count + 1;
        progress?.Invoke(new("generate", 0, steps));
        double[] first = plan.Inputs.Count > 0 ? plan.Inputs[0] : [];
        int step = 0;
        foreach (var (fidelity, low) in lowered)
        {
            string key = CircuitFidelity.KeyOf(fidelity);
            var path = Path.Combine(out_, $"{name}.{key}.cir");
            GenerateStage.WriteDeck(low, spice with
            {
                Input = first,
                Notes = [$"source: {plan.Source}", $"fidelity: {key}", first.Length == 0 ? "input: none" : $"input: case 0 of {plan.InputOrigin}", .. GenerateStage.ScaleNote(scale)],
            }, path);
            files.Add(path);
            progress?.Invoke(new("generate", ++step, steps, Path.GetFileName(path)));
        }
        files.AddRange(GenerateStage.WriteVerilogAms(design, first, Path.Combine(out_, "verilog-ams")));
        progress?.Invoke(new("generate", ++step, steps, "verilog-ams"));
        Done("generate");

        // As `verify --fidelity` does: the lowered circuit against the ideal reference, rails checked for MOS cells.
        VerifyReport Verify(string stage, Design target, Lowered low, ReferenceRun reference, Generate.SpiceOptions spice, string verdictPath,
            Func<VerifyRequest, ICaseRunner>? runner)
        {
            var request = new VerifyRequest
            {
                Design = target,
                Circuit = low,
                Reference = reference,
                Options = verifyOptions with { Spice = spice },
                Source = plan.Source,
                VerdictPath = verdictPath,
                Technology = cells.Technology,
            };
            return new VerifyStage(plan.Backend, runner?.Invoke(request) ?? new LocalCaseRunner(plan.Jobs)).Run(request,
                new Sync(p => progress?.Invoke(new(stage, p.Done, p.Total, p.Last is { } l ? $"case {l.Index}: {VerdictStatusText.Of(l.Pass).Text()}" : null))), cancel);
        }

        var runs = new List<VerificationRun>();
        foreach (var (fidelity, low) in lowered)
        {
            if (!plan.Verify || plan.Inputs.Count == 0)
            {
                runs.Add(new VerificationRun(low.Built, null, plan.Inputs.Count == 0 ? "not run: no inputs" : "not run: the flow was asked not to simulate (--no-verify)"));
                continue;
            }
            string stage = $"verify {low.Built.Key}";
            progress?.Invoke(new(stage, 0, plan.Inputs.Count));
            var verdictPath = Path.Combine(out_, $"verdict.{low.Built.Key}.json");
            var result = Verify(stage, target, low, reference, spice, verdictPath, plan.Runner);
            files.Add(verdictPath);
            runs.Add(new VerificationRun(low.Built, result, VerdictFile: Path.GetFileName(verdictPath)));
            Done(stage);
        }

        MeasuredTimescale? measured = null;
        if (plan.TimeUnits.Count > 0 && plan.Verify && plan.Inputs.Count > 0)
        {
            var fidelity = fidelities.Max();
            var points = new List<TimescalePoint>();
            CircuitFidelity built = CircuitFidelity.Ideal;
            var taus = plan.TimeUnits.Distinct().Order().ToList();
            for (int i = 0; i < taus.Count; i++)
            {
                // each time unit is a circuit of its own: its reference (in its units), its cells sized for its currents, its deck's tolerances
                var units = design.Units with { TimeUnit = taus[i] };
                var (designAt, targetAt) = (design.With(units: units), target.With(units: target.Units with { TimeUnit = taus[i] }));
                string stage = $"timescale {Format.Quantity(taus[i], "s")}";
                progress?.Invoke(new(stage, 0, plan.Inputs.Count));
                var referenceAt = ReferenceRun.Solve(targetAt, plan.Inputs, plan.VerifyOptions.Reference, TimesOf(designAt, plan.VerifyOptions, sized), plan.Solver, cancel);
                var low = cells.Lower(designAt, fidelity, referenceAt).Lowered;
                built = low.Built;
                var verdictPath = Path.Combine(out_, $"timescale.t{i}.json");
                var result = Verify(stage, targetAt, low, referenceAt, AccuracyRule.Apply(verifyOptions.Spice, referenceAt, verifyOptions.RuleFor(design.Task)), verdictPath, null);
                files.Add(verdictPath);
                points.Add(TimescaleSweep.Point(taus[i], verdictPath, result));
                Done(stage);
            }
            var sweep = new TimescaleSweep(design.Name, design.Fingerprint(), built, design.Units.Capacitance, design.Units.VoltageScale, points);
            var sweepPath = Path.Combine(out_, "timescale.json");
            sweep.Save(sweepPath);
            files.Add(sweepPath);
            measured = new MeasuredTimescale(sweep, Path.GetFileName(sweepPath));
        }

        progress?.Invoke(new("report", 0, 1, "estimates, digital comparison, plots"));
        var report = ReportStage.Build(new ReportPlan
        {
            Design = design,
            Source = plan.Source,
            Reference = reference,
            Cells = cells,
            SizeCells = sized,
            Repro = Repro(plan with { Design = design, VerifyOptions = verifyOptions with { Spice = spice } }, cells),
            Verification = runs,
            VoltageScale = scale,
            DigitalTolerance = plan.DigitalTolerance,
            Solver = plan.Solver,
            Generated = plan.Generated,
            Timescale = measured,
        }, cancel);
        files.AddRange(ReportStage.Write(report, out_));
        progress?.Invoke(new("report", 1, 1));
        Done("report");
        return new FlowResult(report, files, stages, Path.Combine(out_, "report.html"));
    }

    /// <summary>Every time a flow's stages read from its reference: the verifier's samples, the report's grid and, with cells, the range analysis's.</summary>
    public static IEnumerable<double> TimesOf(Design design, VerifyOptions options, bool cells) =>
        Verifier.SampleTimes(design, options).Concat(OperatingPoint.Grid(design)).Concat(cells ? CellStage.RangeTimes(design) : []);

    public static Reproducibility Repro(FlowPlan plan, CellStage cells)
    {
        var s = plan.VerifyOptions;
        return new Reproducibility(plan.Command, plan.InputOrigin, plan.Seed, plan.Inputs,
        [
            ("fidelities", string.Join(",", plan.Fidelities.Select(CircuitFidelity.KeyOf))),
            ("technology", Path.GetFileName(cells.TechPath)),
            ("reference", $"{s.Reference.Method} rtol={s.Reference.RelTol:R} atol={s.Reference.AbsTol:R}"),
            ("deck", $"style={s.Spice.Style} max_step_fraction={s.Spice.MaxStepFraction.ToString("R", CultureInfo.InvariantCulture)} " +
                $"reltol={(s.Spice.Accuracy ?? Generate.DeckAccuracy.Default).RelTol.ToString("R", CultureInfo.InvariantCulture)} trtol={(s.Spice.Accuracy ?? Generate.DeckAccuracy.Default).TrTol.ToString("R", CultureInfo.InvariantCulture)} " +
                $"options={string.Join(",", s.Spice.SimulatorOptions.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => k.Key + "=" + k.Value))}"),
            ("verify", $"tolerance={(s.Tolerance is { } t ? t.ToString("R", CultureInfo.InvariantCulture) : "per task")} state_atol={(s.StateAtol is { } sa ? sa.ToString("R", CultureInfo.InvariantCulture) : "tolerance")} " +
                $"state_rtol={s.StateRtol.ToString("R", CultureInfo.InvariantCulture)} samples_per_layer={s.SamplesPerLayer}"),
            ("voltage scale", plan.AutoVoltageMargin is { } m ? $"auto, margin {m.ToString("R", CultureInfo.InvariantCulture)}: {plan.Design.Units.VoltageScale.ToString("R", CultureInfo.InvariantCulture)} V" : "given"),
            ("digital tolerance", plan.DigitalTolerance.ToString("R", CultureInfo.InvariantCulture)),
        ]);
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and race the bar).</summary>
    public sealed class Sync(Action<VerifyProgress> report) : IProgress<VerifyProgress>
    {
        public void Report(VerifyProgress value) => report(value);
    }
}
