using System.CommandLine;
using System.Globalization;
using KirchhoffHw.Generate;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Model.Text;
using KirchhoffHw.Reference;
using KirchhoffHw.Simulate;
using KirchhoffHw.Simulate.Ngspice;
using KirchhoffHw.Verify;
using Spectre.Console;

namespace KirchhoffHw.Cli.Commands;

internal static class VerifyCommand
{
    public static Command Create(Console console)
    {
        var io = new ModelInputs(console);
        var circuit = new CircuitOptions();
        var cells = new FidelityOptions();
        var backend = new Option<string>("--backend")
        {
            Description = "shared (libngspice in a worker process, default), batch (ngspice -b -r), or reference (macro fidelity only: the fitted " +
                "cell laws solved by the software reference, for designs too large for ngspice case by case, such as mnist).",
            DefaultValueFactory = _ => "shared",
        }.Check((name, v) => OptionValues.OneOf(name, v, false, "shared", "batch", "reference"));
        var tolerance = Common.Tolerance("Largest |circuit - reference| in model units (default 5e-3 for classifiers, 1e-3 otherwise).");
        var refTol = new Option<double>("--reference-tol") { Description = "rtol = atol of the reference solver.", DefaultValueFactory = _ => 1e-9 }
            .Check(OptionValues.PositiveFinite);
        var timeout = new Option<double>("--timeout") { Description = "Seconds allowed per simulated case.", DefaultValueFactory = _ => 1800 }
            .Check(OptionValues.Seconds);
        var output = new Option<string>("--output", "-o") { Description = "Verdict JSON: per case the circuit's boundaries and outputs (model units, vectors.json shape), errors and verdicts.", Required = true };
        var jobs = Common.Jobs("Cases simulated at once, each in its own ngspice (default: the number of cores).");
        var fresh = new Option<bool>("--fresh") { Description = "Ignore the journal of an interrupted run (default: resume, skipping finished cases)." };
        var command = new Command("verify", "Co-simulate: run each input through the ngspice deck and the reference, compare states at t = 0, at the\n" +
            "layer boundaries, along the trajectory and at the read-out; check the timescale; judge the task. At --fidelity macro or\n" +
            "transistor the circuit is the lowered one (fitted cells, MOS cells) and the report is what the cells cost against the\n" +
            "ideal reference; node voltages outside the technology's rails fail the run; the physical mapping with per-device fit\n" +
            "errors is written beside the verdict (<output>.cells.csv/.json).\nExit code 0 = pass, 1 = fail, 2 = bad input.");
        io.AddTo(command);
        circuit.AddTo(command);
        cells.AddTo(command);
        foreach (var option in new Option[] { backend, tolerance, refTol, timeout, jobs, output, fresh }) command.Options.Add(option);
        command.SetAction((r, cancel) => Task.FromResult(Execute(r, cancel)));
        return command;

        int Execute(ParseResult r, CancellationToken cancel)
        {
            var path = r.GetValue(output)!;
            OutputPath.RequireWritableFile(path);
            var backendName = r.GetValue(backend)!.ToLowerInvariant();
            if (backendName is not ("shared" or "batch" or "reference"))
                throw new KirchhoffHwException("<options>", $"--backend '{Generate.Formatting.Names.CommentText(backendName)}' is not shared, batch or reference");
            Func<ISpiceSimulator> simulators = backendName == "batch" ? () => new NgspiceBatch() : () => new NgspiceShared();
            if (backendName != "reference") SimulatorCheck.Require(simulators);
            var imported = io.Load(r);
            var design = circuit.Apply(r, imported.Design);
            var (vectors, origin) = io.Read(r, design);
            var (lowered, mapping) = cells.Lower(r, design, vectors);
            if (backendName == "reference" && lowered.Fidelity != Fidelity.Macro)
                throw new KirchhoffHwException("<options>", "--backend reference solves the fitted cell laws in software: it needs --fidelity macro");
            if (mapping is not null)
            {
                mapping.Write(Path.ChangeExtension(path, null));
                foreach (var line in FidelityOptions.Describe(mapping, design.Units)) console.Out.WriteLine("cells       " + line);
            }
            if (backendName == "reference")
                return Software(console, design, lowered, vectors, origin, path, SolverOptions.Dopri5(r.GetValue(refTol)), cancel);
            var tech = lowered.Library?.Tech;
            var options = VerifyOptions.Default with
            {
                Circuit = lowered.Circuit,
                Fidelity = tech is null ? "ideal" : $"{lowered.Fidelity.ToString().ToLowerInvariant()} ({tech.Name}, {tech.Corner})",
                Rails = tech is null ? null : (tech.Vss, tech.Vdd),
                Spice = lowered.Apply(circuit.Spice(r)),
                Reference = SolverOptions.Dopri5(r.GetValue(refTol)),
                Tolerance = r.GetValue(tolerance),
                CaseTimeout = TimeSpan.FromSeconds(r.GetValue(timeout)),
            };
            var journal = path + ".journal.jsonl";
            if (r.GetValue(fresh)) Journal.Delete(journal);
            var report = new ProgressReporter(console, "verify", vectors.Length).Run(progress =>
                new Verifier(design, options, simulators, r.GetValue(jobs), imported.Source).Run(vectors, journal,
                    new SyncProgress(p => progress(p.Done, p.Stage == "reference" ? "reference" : p.Last is { } l ? $"case {l.Index}: {(l.Pass ? "pass" : "FAIL")}" : null)), cancel));
            VerdictJson.Save(path, report);
            Journal.Delete(journal);
            Summary(console, report, origin, path);
            return report.Pass ? App.ExitOk : App.ExitFailed;
        }
    }

    /// <summary>Macro fidelity in software: the fitted cell laws against the ideal laws, same solver, task figures.</summary>
    private static int Software(Console console, Design design, Cells.Lowered lowered, double[][] vectors, string origin, string path, SolverOptions solver, CancellationToken cancel)
    {
        var cmp = SoftwareComparison.Run(design, lowered.Circuit, "macro", vectors, solver, cancel);
        bool pass = design.Task switch
        {
            TaskKind.Classification => cmp.ArgmaxAgreement == 1,
            TaskKind.Generation => cmp.MeanSampleError <= VerifyOptions.Default.GenerationRelativeError * cmp.ReferenceStd,
            _ => cmp.MaxOutputError <= VerifyOptions.Default.ToleranceFor(design.Task),
        };
        // the layer-boundary states bound the swing from below (interior points can only be larger)
        var tech = lowered.Library!.Tech;
        double volts = cmp.ReferenceStateByLayer.DefaultIfEmpty(0).Max() * design.Units.VoltageScale;
        bool inRails = volts <= Math.Min(tech.Vdd, -tech.Vss);
        pass &= inRails;
        Model.IO.AtomicFile.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(new { comparison = cmp, pass, inputs = origin, max_node_volts = volts, rails = new[] { tech.Vss, tech.Vdd }, in_rails = inRails },
            new System.Text.Json.JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }) + "\n");
        string F(double? x) => x is { } v && double.IsFinite(v) ? v.ToString("G4", CultureInfo.InvariantCulture) : "-";
        var w = console.Out;
        w.WriteLine($"design      {TerminalText.Escape(design.Name)} ({design.Task.ToString().ToLowerInvariant()}), macro fidelity ({lowered.Library!.Tech.Name}), software reference (Dormand-Prince) for both");
        w.WriteLine($"inputs      {origin}: {cmp.Cases} cases");
        w.WriteLine($"errors      output max {F(cmp.MaxOutputError)}, rms {F(cmp.RmsOutputError)}; boundary max {F(cmp.MaxBoundaryError)} (model units)");
        for (int li = 0; li < cmp.BoundaryErrorByLayer.Count; li++)
            w.WriteLine($"            end of layer {li}: max state error {F(cmp.BoundaryErrorByLayer[li])} against states up to {F(cmp.ReferenceStateByLayer[li])}");
        if (cmp.ArgmaxAgreement is not null) w.WriteLine($"classes     argmax agreement {cmp.ArgmaxAgreement:P1} ({cmp.ArgmaxDisagreements} differ), smallest reference margin {F(cmp.MinReferenceMargin)}");
        if (cmp.MeanSampleError is not null) w.WriteLine($"samples     mean per-sample error {F(cmp.MeanSampleError)} (reference std {F(cmp.ReferenceStd)}), energy distance {F(cmp.EnergyDistance)}");
        w.WriteLine($"rails       node voltages reach at least {F(volts)} V at the layer boundaries: {(inRails ? "inside" : "OUTSIDE")} [{F(tech.Vss)}, {F(tech.Vdd)}] V{(inRails ? "" : ": lower the voltage scale")}");
        w.WriteLine($"time        reference {F(cmp.ReferenceSeconds)} s, macro {F(cmp.CircuitSeconds)} s");
        w.WriteLine($"verdict     {(pass ? "PASS" : "FAIL")}  ({path})");
        return pass ? App.ExitOk : App.ExitFailed;
    }

    private static void Summary(Console console, VerifyReport report, string origin, string path)
    {
        var w = console.Out;
        string F(double? x) => x is { } v && double.IsFinite(v) ? v.ToString("G4", CultureInfo.InvariantCulture) : "-";
        var s = report.Summary;
        w.WriteLine($"design      {TerminalText.Escape(report.Design)} ({report.Task.ToString().ToLowerInvariant()}), {report.Fidelity} fidelity, {report.Simulator}");
        w.WriteLine($"units       C = {F(report.Units.Capacitance)} F, time unit = {F(report.Units.TimeUnit)} s, voltage scale = {F(report.Units.VoltageScale)} V");
        w.WriteLine($"inputs      {origin}");
        w.WriteLine($"cases       {s.Simulated}/{s.Cases} simulated, {report.Cases.Count(x => x.Pass)} passed (tolerance {F(report.Tolerance)} model units)");
        w.WriteLine($"errors      output max {F(s.MaxOutputError)}, rms {F(s.RmsOutputError)}; boundary max {F(report.Cases.Where(x => x.Errors is not null).Select(x => x.Errors!.Boundary).DefaultIfEmpty(double.NaN).Max())}; " +
            $"trajectory max {F(report.Cases.Where(x => x.Errors is not null).Select(x => x.Errors!.Sample).DefaultIfEmpty(double.NaN).Max())}; initial max {F(report.Cases.Where(x => x.Errors is not null).Select(x => x.Errors!.Initial).DefaultIfEmpty(double.NaN).Max())}");
        if (s.ArgmaxAgreement is not null) w.WriteLine($"classes     argmax agreement {s.ArgmaxAgreement:P1}, smallest reference margin {F(s.MinReferenceMargin)}");
        if (s.MeanSampleError is not null) w.WriteLine($"samples     mean per-sample error {F(s.MeanSampleError)} (reference std {F(s.ReferenceStd)}), energy distance {F(s.EnergyDistance)}");
        w.WriteLine($"timescale   read-out at {F(report.Timescale.SimulatedSeconds)} s (T x time unit = {F(report.Timescale.ExpectedSeconds)} s), outputs settled by {F(report.Timescale.LatestSettleSeconds)} s: {(report.Timescale.Pass ? "pass" : "FAIL")}");
        w.WriteLine($"range       node swing up to {F(report.Range.MaxNodeVolts)} V, device current up to {F(report.Range.MaxDeviceAmps)} A");
        w.WriteLine($"time        {F(report.Cases.Sum(x => x.ElapsedSeconds))} s simulated wall time, {F(report.Cases.Average(x => x.ElapsedSeconds))} s per case");
        foreach (var f in s.Failures) w.WriteLine($"  - {TerminalText.Escape(f)}");
        w.WriteLine($"verdict     {(report.Pass ? "PASS" : "FAIL")}  ({path})");
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and race the bar).</summary>
    private sealed class SyncProgress(Action<VerifyProgress> report) : IProgress<VerifyProgress>
    {
        public void Report(VerifyProgress value) => report(value);
    }
}
