using System.CommandLine;
using KirchhoffHw.Flow;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;
using KirchhoffHw.Report;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Cli.Commands;

internal static class ReportCommand
{
    public static Command Create(Console console)
    {
        var io = new ModelInputs(console);
        var units = new UnitOptions();
        var tech = FidelityOptions.TechOption("Technology file (designs/tech/*.yaml). Given, or with a verdict of a MOS fidelity, the report " +
            "sizes every device's cell (characterized once, cached); otherwise it shows what needs no cells against the shipped ptm45hp.yaml.");
        var output = Common.Output<string>("Output directory: report.html, report.md, report.json and plots/.", required: true, folder: true, subfolders: ["plots"]);
        var verdicts = new Option<string[]>("--verdict") { Description = "Verdict files from `kirchhoffhw verify` or `flow` (repeatable, one per fidelity); their inputs and units are the report's.", AllowMultipleArgumentsPerToken = true };
        var timescale = new Option<string?>("--timescale")
        {
            Description = "The sweep file of `verify --time-units` (its -o): the report plots the measured error at each time unit beside the " +
                "estimated sweep, tabulates it and names the fastest passing time unit. A sweep file given to --verdict is recognised by its shape and read the same way.",
        };
        var command = new Command("report", "Build the chip report from existing results: a design, a technology and (optionally) verdict files.\n" +
            "Without verdicts the report has counts and estimates and says that verification was not run; the reference runs on\n" +
            "--inputs/--random (or the verdicts' inputs) for the waveforms, the peak device current and the digital comparison.");
        io.AddTo(command);
        units.AddTo(command);
        foreach (var o in new Option[] { tech, output, verdicts, timescale }) command.Options.Add(o);
        command.SetAction((r, cancel) => Task.FromResult(Execute(r, cancel)));
        return command;

        int Execute(ParseResult r, CancellationToken cancel)
        {
            var imported = io.Load(r);
            // Sweep files are told from verdicts by their shape, so either option takes them.
            var given = r.GetValue(verdicts) ?? [];
            var sweepPaths = (r.GetValue(timescale) is { } ts ? [ts] : Array.Empty<string>()).Concat(given.Where(TimescaleSweep.IsSweepFile)).ToList();
            if (sweepPaths.Count > 1)
                throw new KirchhoffHwException(sweepPaths[1], "a report shows one measured timescale: give one sweep file (--timescale, or among --verdict)");
            var results = given.Where(p => !sweepPaths.Contains(p)).Select(path => (path, v: VerdictJson.Load(path))).ToList();
            (string Path, TimescaleSweep Sweep)? sweep = sweepPaths.Count == 1 ? (sweepPaths[0], TimescaleSweep.Load(sweepPaths[0])) : null;
            // A verdict was made at fixed units: the report takes them, and refuses units that contradict them. A sweep
            // fixes the capacitance and voltage scale the same way (the time unit is what it varies).
            var baseDesign = results.Count > 0 ? imported.Design.With(units: results[0].v.Units)
                : sweep is { } sw ? imported.Design.With(units: imported.Design.Units with { Capacitance = sw.Sweep.Capacitance, VoltageScale = sw.Sweep.VoltageScale })
                : imported.Design;
            var design = units.Apply(r, baseDesign);
            foreach (var (path, v) in results)
            {
                if (v.Units != design.Units) throw new KirchhoffHwException(path, $"made at C = {v.Units.Capacitance:G4} F, time unit = {v.Units.TimeUnit:G4} s, voltage scale = {v.Units.VoltageScale:G4} V, not at the report's units");
                if (v.Design != design.Name) throw new KirchhoffHwException(path, $"is a verdict of design '{Generate.Formatting.Names.CommentText(v.Design)}', not of '{Generate.Formatting.Names.CommentText(design.Name)}'");
            }
            sweep?.Sweep.Check(design, sweep.Value.Path);
            var (vectors, origin) = io.Read(r, design, required: false);
            if (vectors.Length == 0 && results.Count > 0)
            {
                vectors = results[0].v.Cases.OrderBy(c => c.Index).Select(c => c.Input).ToArray();
                origin = $"the inputs of {results[0].path}";
            }
            var margin = units.AutoMargin(r);
            var cells = new CellStage(Common.ExistingFile(r, tech));
            if (margin is not null && vectors.Length == 0)
                throw new KirchhoffHwException("<options>", "--voltage-scale auto chooses the scale from the states the inputs reach: give --inputs FILE, --random N or --verdict");
            bool sized = cells.Explicit || results.Any(x => x.v.Fidelity.UsesCells) || sweep?.Sweep.Fidelity.UsesCells == true;
            var outDir = r.GetValue(output)!;
            var chip = new StageProgress(console).Run(progress =>
            {
                progress(new("reference", 0, 1, $"{vectors.Length} inputs"));
                var reference = ReferenceRun.Solve(design, vectors, SolverOptions.Golden,
                    OperatingPoint.Grid(design).Concat(sized ? CellStage.RangeTimes(design) : []), cancel: cancel);
                // A verdict's voltage scale is the report's: auto must land on it, as it does when the verdict was made with auto on the same inputs.
                VoltageScaleChoice? scale = results.FirstOrDefault().v?.VoltageScale;
                if (margin is { } m)
                {
                    (design, reference, scale) = VoltageScaleStage.Apply(reference, cells.Technology, m);
                    foreach (var (path, v) in results)
                        if (v.Units != design.Units)
                            throw new KirchhoffHwException(path, $"made at voltage scale {v.Units.VoltageScale:G6} V, not at the {design.Units.VoltageScale:G6} V --voltage-scale auto chooses here");
                    sweep?.Sweep.Check(design, sweep.Value.Path);
                }
                progress(new("report", 0, 1, sized ? "cells, estimates, plots" : "estimates, plots"));
                double digitalTolerance = imported.Tolerance ?? 1e-3;
                var built = ReportStage.Build(new ReportPlan
                {
                    Design = design,
                    Source = imported.Source,
                    Reference = reference,
                    Cells = cells,
                    SizeCells = sized,
                    Repro = new Reproducibility(Common.CommandLine(r), origin, r.GetValue(io.Random) is not null ? r.GetValue(io.Seed) : null, vectors,
                        [("technology", Path.GetFileName(cells.TechPath)), ("digital tolerance", digitalTolerance.ToString("R", System.Globalization.CultureInfo.InvariantCulture))]),
                    Verification = results.Count > 0
                        ? results.Select(x => new VerificationRun(x.v.Fidelity, x.v, VerdictFile: x.path)).ToList()
                        : [new VerificationRun(CircuitFidelity.Ideal, null, "not run: no verdict file was given (--verdict)")],
                    DigitalTolerance = digitalTolerance,
                    VoltageScale = scale,
                    Timescale = sweep is { } measured ? new MeasuredTimescale(measured.Sweep, measured.Path) : null,
                }, cancel);
                ReportStage.Write(built, outDir);
                progress(new("report", 1, 1));
                return built;
            });
            FlowCommand.Summary(console, chip, []);
            console.Out.WriteLine($"report: {Path.GetFullPath(Path.Combine(outDir, "report.html"))}");
            return App.ExitOk;
        }
    }
}
