using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using KirchhoffHw.Cells;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Flow;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Text;
using KirchhoffHw.Reference;
using KirchhoffHw.Simulate;
using KirchhoffHw.Slurm;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Cli.Commands;

internal static class VerifyCommand
{
    public static Command Create(Console console)
    {
        var io = new ModelInputs(console);
        var units = new UnitOptions();
        var deck = new DeckOptions();
        var cells = new FidelityOptions();
        // null: the software reference instead of a simulator (macro fidelity only).
        var backend = new Choice<CoSimBackend?>("--backend",
            "shared (libngspice in a worker process, default), batch (ngspice -b -r), or reference (macro fidelity only: the fitted " +
            "cell laws solved by the software reference, for designs too large for ngspice case by case, such as mnist).", "shared",
            [.. CoSimBackend.All.Select(b => (b.Name, (CoSimBackend?)b)), ("reference", null)]);
        var tolerance = new ToleranceOptions();
        var refTol = new Option<double>("--reference-tol") { Description = "rtol = atol of the reference solver.", DefaultValueFactory = _ => 1e-9 }.PositiveFinite();
        var timeout = Common.Timeout("Seconds allowed per simulated case.", 1800);
        var output = Common.Output<string>("Verdict JSON: per case the circuit's boundaries and outputs (model units, vectors.json shape), errors and verdicts.", required: true);
        var jobs = Common.Jobs("Cases simulated at once here, each in its own ngspice (default: the number of cores; --scheduler local).");
        var fresh = new Option<bool>("--fresh") { Description = "Ignore the journal of an interrupted run (default: resume, skipping finished cases); with --scheduler slurm, also its task journals, and its jobs still in flight are cancelled." };
        var scheduler = new SchedulerOptions();
        var timeUnits = new Option<string?>("--time-units")
        {
            Description = "Timescale, measured: verify at each of these comma-separated time units (e.g. 1n,10n,100n; " +
                "capacitance and voltage scale kept), each verdict written as <output stem>.t<i>.json, and <output> the sweep: the error at each " +
                "time unit and the fastest one whose verdict passes.",
        }.ParsedBy(text => TimeUnits(text!));
        var cellLag = new Option<string?>("--cell-lag")
        {
            Description = "With --backend reference: every cell sees the node voltages this many seconds late (a first-order lag, SPICE notation, " +
                "e.g. 10n; 0 for none) instead of the v2 cells' measured settling, which the macro law carries by default while it is within " +
                "10 % of the shortest layer (docs/cells.md). Valid while the lag is small against the design's fastest dynamics " +
                "(see `tolerance --imperfections lag`).",
        }.ParsedBy(text =>
        {
            if (Numbers.ParseEngineering(text!) is not { } v || !(v >= 0) || !double.IsFinite(v))
                throw new KirchhoffHwException("<options>", $"--cell-lag: '{Names.CommentText(text!)}' is not a time >= 0 (examples: 0, 7n, 1e-8)");
        });
        var command = new Command("verify", "Co-simulate: run each input through the ngspice deck and the reference, compare states at t = 0, at the\n" +
            "layer boundaries, along the trajectory and at the read-out; check the timescale; judge the task. At --fidelity macro or\n" +
            "transistor the circuit is the lowered one (fitted cells, MOS cells) and the report is what the cells cost against the\n" +
            "ideal reference; node voltages outside the technology's rails fail the run; the physical mapping with per-device fit\n" +
            "errors is written beside the verdict (<output>.cells.csv/.json). At ideal fidelity the node swing is checked against\n" +
            "--tech's rails (default technology) and reported: exact laws need no supply, but a chip would.\n" +
            "Outputs are held to --tolerance; every state along the way to --state-atol + --state-rtol x the case's largest |state|.\n" +
            "The simulator's tolerances follow from the reference's dynamic range (docs/verification.md); --spice-option overrides.\n" +
            "Exit code 0 = pass, 1 = fail, 2 = bad input.");
        io.AddTo(command);
        units.AddTo(command);
        deck.AddTo(command);
        cells.AddTo(command);
        tolerance.AddTo(command);
        foreach (var option in new Option[] { backend.Option, refTol, timeout, jobs, output, fresh, timeUnits, cellLag }) command.Options.Add(option);
        scheduler.AddTo(command);
        command.SetAction((r, cancel) => Task.FromResult(Execute(r, cancel)));
        return command;

        int Execute(ParseResult r, CancellationToken cancel)
        {
            if (r.GetValue(timeUnits) is not { } list) return ExecuteAt(r, null, r.GetValue(output)!, cancel).Exit;
            var taus = TimeUnits(list);
            var sweepPath = r.GetValue(output)!;
            var stem = Path.ChangeExtension(sweepPath, null);
            var rows = new List<(double Tau, string Path, VerifyReport? Report)>();
            (Design Design, CircuitFidelity Built)? made = null;
            for (int i = 0; i < taus.Count; i++)
            {
                var p = $"{stem}.t{i}.json";
                console.Out.WriteLine($"timescale   time unit {Numbers.Format(taus[i])} s -> {p}");
                var run = ExecuteAt(r, taus[i], p, cancel);
                made ??= (run.Design, run.Built);
                rows.Add((taus[i], p, run.Report));
            }
            // every time unit was run at the same capacitance and voltage scale (auto lands on the same one: it follows the states, not tau)
            var (design, built) = made!.Value;
            var sweep = new TimescaleSweep(design.Name, design.Fingerprint(), built, design.Units.Capacitance, design.Units.VoltageScale,
                rows.Select(x => TimescaleSweep.Point(x.Tau, x.Path, x.Report)).ToList());
            sweep.Save(sweepPath);
            double? fastest = sweep.FastestPassing;
            foreach (var (tau, _, rep) in rows)
                console.Out.WriteLine($"timescale   {Numbers.Format(tau)} s: output max {rep?.Summary.MaxOutputError:G4}, rms {rep?.Summary.RmsOutputError:G4}: {(rep?.Pass == true ? "pass" : "FAIL")}");
            console.Out.WriteLine($"timescale   fastest passing time unit: {(fastest is { } ff ? Numbers.Format(ff) + " s" : "none")}  ({sweepPath})");
            return fastest is null ? App.ExitFailed : App.ExitOk;
        }

        (int Exit, VerifyReport? Report, Design Design, CircuitFidelity Built) ExecuteAt(ParseResult r, double? tau, string path, CancellationToken cancel)
        {
            var simulator = backend.Get(r);
            var fidelity = cells.Fidelity.Get(r);
            if (simulator is null && fidelity != Fidelity.Macro)
                throw new KirchhoffHwException("<options>", "--backend reference solves the fitted cell laws in software: it needs --fidelity macro");
            double? lagSeconds = r.GetValue(cellLag) is { } lagText ? Numbers.ParseEngineering(lagText) : null;
            if (lagSeconds is not null && simulator is not null)
                throw new KirchhoffHwException("<options>", "--cell-lag is a software model of the cells' settling: it needs --backend reference");
            var slurm = scheduler.Settings(r, r.GetValue(fresh));
            if (slurm is not null && simulator is null)
                throw new KirchhoffHwException("<options>", "--backend reference solves in software here; --scheduler slurm runs cases in a simulator");
            // the Slurm tasks rebuild the design from the command line, which does not carry the sweep's time unit
            if (slurm is not null && tau is not null)
                throw new KirchhoffHwException("<options>", "--time-units runs each time unit here: it cannot be combined with --scheduler slurm");
            // A missing ngspice is the machine's state: said once, with the install hint, before any work (a Slurm
            // job's tasks find it on their nodes, and say so there).
            if (simulator is not null && slurm is null) SimulatorCheck.Require(simulator.Simulators);
            var imported = io.Load(r);
            var design = units.Apply(r, imported.Design);
            if (tau is { } t) design = design.With(units: design.Units with { TimeUnit = t });
            var (target, source) = CalibrateCommand.Target(design, imported.Source, console);
            var (vectors, origin) = io.Read(r, design);
            var options = tolerance.Apply(r, VerifyOptions.Default with
            {
                Spice = deck.Spice(r),
                Reference = SolverOptions.Dopri5(r.GetValue(refTol)),
                CaseTimeout = TimeSpan.FromSeconds(r.GetValue(timeout)),
            });
            var margin = units.AutoMargin(r);
            var stage = new CellStage(r.GetValue(cells.Tech));
            // A bad technology file is bad input: refused before any work. Its rails are checked at every fidelity.
            var technology = stage.Technology;
            var times = Verifier.SampleTimes(design, options).Concat(fidelity == Fidelity.Ideal ? [] : CellStage.RangeTimes(design))
                .Concat(margin is null ? [] : VoltageScaleStage.Times(design));
            var reference = new ProgressReporter(console, "reference", 1).Run(report =>
            {
                report(0, $"{vectors.Length} inputs");
                var run = ReferenceRun.Solve(target, vectors, options.Reference, times, cancel: cancel);
                report(1, null);
                return run;
            });
            if (margin is { } m)
            {
                VoltageScaleChoice choice;
                (target, reference, choice) = VoltageScaleStage.Apply(reference, technology, m);
                design = design.With(units: target.Units);
                options = options with { VoltageScale = choice };
                console.Out.WriteLine("units       " + choice.Describe());
            }
            var (lowered, mapping) = stage.Lower(design, fidelity, reference);
            if (mapping is not null)
            {
                mapping.Write(Path.ChangeExtension(path, null));
                foreach (var line in FidelityOptions.Describe(mapping)) console.Out.WriteLine("cells       " + line);
            }
            if (fidelity == Fidelity.Macro && lagSeconds is null && RegulatedNetlist.Builds(design))
                console.Out.WriteLine("cells       " + RegulatedFamily.LagIn(design).Note);
            var request = new VerifyRequest
            {
                Design = target,
                Circuit = lowered,
                Reference = reference,
                // Derived here from the whole run's reference, so that every case (and every Slurm task) gets the same deck options.
                Options = options with { Spice = AccuracyRule.Apply(options.Spice, reference, options.RuleFor(design.Task)) },
                Source = source,
                VerdictPath = path,
                Fresh = r.GetValue(fresh),
                Technology = technology,
            };
            if (simulator is null)
            {
                IReferenceSolver? lagged = null;
                if (lagSeconds is { } seconds)
                {
                    double lag = seconds / design.Units.TimeUnit;
                    lagged = new LaggedSolver(lag);
                    console.Out.WriteLine(lag > 0 ? $"cells       every cell sees the node voltages {Numbers.Format(seconds)} s ({lag:G3} time units) late, to first order (--cell-lag)"
                        : "cells       the law solved as settling at once (--cell-lag 0)");
                }
                var verdict = VerifyStage.RunSoftware(request, ReferenceEquals(target, design) ? origin : $"{origin} ({source})", lagged, cancel);
                Software(console, design, lowered.Built, verdict, path);
                return (verdict.Pass ? App.ExitOk : App.ExitFailed, null, design, lowered.Built);
            }
            var reporter = new ProgressReporter(console, "verify", vectors.Length);
            var report = reporter.Run(progress =>
            {
                ICaseRunner runner = slurm is null ? new LocalCaseRunner(r.GetValue(jobs))
                    : new SlurmCaseRunner(slurm, new TaskSource(r.GetValue(io.Model)!, r.GetValue(io.Config), r.GetValue(cells.Tech), simulator.Name),
                        request, reporter.Notice, new Inline<SlurmProgress>(s => progress(s.CasesDone, s.ToString())));
                return new VerifyStage(simulator, runner).Run(request,
                    new FlowRunner.Sync(p => progress(p.Done, p.Last is { } l ? $"case {l.Index}: {VerdictStatusText.Of(l.Pass).Text()}"
                        : p.Stage == "simulate" ? null : p.Stage)), cancel);
            });
            Summary(console, report, origin, path);
            return (report.Pass ? App.ExitOk : App.ExitFailed, report, design, lowered.Built);
        }
    }

    private static void Software(Console console, Design design, CircuitFidelity fidelity, SoftwareVerdict verdict, string path)
    {
        var cmp = verdict.Comparison;
        string F(double? x) => x is { } v && double.IsFinite(v) ? v.ToString("G4", CultureInfo.InvariantCulture) : "-";
        var w = console.Out;
        var (low, high) = verdict.Rails;
        w.WriteLine($"design      {TerminalText.Escape(design.Name)} ({design.Task.ToString().ToLowerInvariant()}), macro fidelity ({fidelity.Technology}), software reference (Dormand-Prince) for both");
        w.WriteLine($"inputs      {verdict.Inputs}: {cmp.Cases} cases");
        w.WriteLine($"errors      output max {F(cmp.MaxOutputError)}, rms {F(cmp.RmsOutputError)}; boundary max {F(cmp.MaxBoundaryError)} (model units)");
        for (int li = 0; li < cmp.BoundaryErrorByLayer.Count; li++)
            w.WriteLine($"            end of layer {li}: max state error {F(cmp.BoundaryErrorByLayer[li])} against states up to {F(cmp.ReferenceStateByLayer[li])}");
        if (cmp.ArgmaxAgreement is not null) w.WriteLine($"classes     argmax agreement {cmp.ArgmaxAgreement:P1} ({cmp.ArgmaxDisagreements} differ), smallest reference margin {F(cmp.MinReferenceMargin)}");
        if (cmp.MeanSampleError is not null) w.WriteLine($"samples     mean per-sample error {F(cmp.MeanSampleError)} (reference std {F(cmp.ReferenceStd)}), energy distance {F(cmp.EnergyDistance)}");
        w.WriteLine($"rails       node voltages reach at least {F(verdict.MaxNodeVolts)} V at the layer boundaries: {(verdict.InRails ? "inside" : "OUTSIDE")} [{F(low)}, {F(high)}] V{(verdict.InRails ? "" : ": lower the voltage scale")}");
        w.WriteLine($"time        reference {F(cmp.ReferenceSeconds)} s, macro {F(cmp.CircuitSeconds)} s");
        w.WriteLine($"verdict     {(verdict.Pass ? "PASS" : "FAIL")}  ({path})");
    }

    private static void Summary(Console console, VerifyReport report, string origin, string path)
    {
        var w = console.Out;
        string F(double? x) => x is { } v && double.IsFinite(v) ? v.ToString("G4", CultureInfo.InvariantCulture) : "-";
        var s = report.Summary;
        w.WriteLine($"design      {TerminalText.Escape(report.Design)} ({report.Task.ToString().ToLowerInvariant()}), {report.Fidelity} fidelity, {report.Simulator}");
        w.WriteLine($"units       C = {F(report.Units.Capacitance)} F, time unit = {F(report.Units.TimeUnit)} s, voltage scale = {F(report.Units.VoltageScale)} V");
        w.WriteLine($"inputs      {origin}");
        w.WriteLine($"cases       {s.Simulated}/{s.Cases} simulated, {report.Cases.Count(x => x.Pass)} passed ({(report.Rule ?? ToleranceRule.Absolute(report.Tolerance, VerifyOptions.Default.InitialTolerance)).Describe()}, model units)");
        if (report.Accuracy is { } a) w.WriteLine($"simulator   reltol {F(a.RelTol)}, trtol {F(a.TrTol)}: {a.Basis}");
        w.WriteLine($"errors      output max {F(s.MaxOutputError)}, rms {F(s.RmsOutputError)}; boundary max {F(report.Cases.Where(x => x.Errors is not null).Select(x => x.Errors!.Boundary).DefaultIfEmpty(double.NaN).Max())}; " +
            $"trajectory max {F(report.Cases.Where(x => x.Errors is not null).Select(x => x.Errors!.Sample).DefaultIfEmpty(double.NaN).Max())}; initial max {F(report.Cases.Where(x => x.Errors is not null).Select(x => x.Errors!.Initial).DefaultIfEmpty(double.NaN).Max())}");
        if (s.ArgmaxAgreement is not null) w.WriteLine($"classes     argmax agreement {s.ArgmaxAgreement:P1}, smallest reference margin {F(s.MinReferenceMargin)}");
        if (s.MeanSampleError is not null) w.WriteLine($"samples     mean per-sample error {F(s.MeanSampleError)} (reference std {F(s.ReferenceStd)}), energy distance {F(s.EnergyDistance)}");
        w.WriteLine($"timescale   read-out at {F(report.Timescale.SimulatedSeconds)} s (T x time unit = {F(report.Timescale.ExpectedSeconds)} s), outputs settled by {F(report.Timescale.LatestSettleSeconds)} s: {(report.Timescale.Pass ? "pass" : "FAIL")}");
        w.WriteLine($"range       node swing up to {F(report.Range.MaxNodeVolts)} V, device current up to {F(report.Range.MaxDeviceAmps)} A");
        if (report.Supply is { } draw)
            w.WriteLine($"supply      measured: {F(draw.EnergyJoules)} J per inference, busiest layer {F(draw.BusiestLayerWatts)} W (rails only, mean over {report.SupplyCases} case(s))");
        if (report.Rails is { } rails)
            w.WriteLine($"rails       node swing {F(rails.MaxNodeVolts)} V {(rails.Within ? "within" : "OUTSIDE")} +-{F(rails.Supply.AllowedSwing)} V of {rails.Supply.Name}" +
                (rails.Within ? "" : rails.Supply.Powers ? ": the circuit leaves its supply (--voltage-scale auto fits it)"
                    : ": the laws are exact at any voltage, so the verdict stands, but no chip on this supply could be built at this voltage scale (--voltage-scale auto fits it)"));
        w.WriteLine($"time        {F(report.Cases.Sum(x => x.ElapsedSeconds))} s simulated wall time, {F(report.Cases.Average(x => x.ElapsedSeconds))} s per case");
        foreach (var f in s.Failures) w.WriteLine($"  - {TerminalText.Escape(f)}");
        w.WriteLine($"verdict     {(report.Pass ? "PASS" : "FAIL")}  ({path})");
    }

    /// <summary>--time-units: positive times in SPICE notation, ascending, each once.</summary>
    public static List<double> TimeUnits(string list)
    {
        var taus = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            // as typed: 100n is 1e-7, not the double 100 x 1e-9 rounds to, so sweeps and their printout show the time units listed
            .Select(t => Numbers.ParseEngineering(t) is { } x && x > 0 && double.IsFinite(x) ? double.Parse(x.ToString("G15", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)
                : throw new KirchhoffHwException("<options>", $"--time-units: '{Names.CommentText(t)}' is not a positive time (SPICE notation: 1n, 100n)"))
            .Distinct().Order().ToList();
        return taus.Count > 0 ? taus : throw new KirchhoffHwException("<options>", "--time-units lists no time unit");
    }
}
