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
        var command = new Command("report", "Build the chip report from existing results: a design, a technology and (optionally) verdict files.\n" +
            "Without verdicts the report has counts and estimates and says that verification was not run; the reference runs on\n" +
            "--inputs/--random (or the verdicts' inputs) for the waveforms, the peak device current and the digital comparison.");
        io.AddTo(command);
        units.AddTo(command);
        foreach (var o in new Option[] { tech, output, verdicts }) command.Options.Add(o);
        command.SetAction((r, cancel) => Task.FromResult(Execute(r, cancel)));
        return command;

        int Execute(ParseResult r, CancellationToken cancel)
        {
            var imported = io.Load(r);
            var results = (r.GetValue(verdicts) ?? []).Select(path => (path, v: VerdictJson.Load(path))).ToList();
            // A verdict was made at fixed units: the report takes them, and refuses units that contradict them.
            var baseDesign = results.Count > 0 ? imported.Design.With(units: results[0].v.Units) : imported.Design;
            var design = units.Apply(r, baseDesign);
            foreach (var (path, v) in results)
            {
                if (v.Units != design.Units) throw new KirchhoffHwException(path, $"made at C = {v.Units.Capacitance:G4} F, time unit = {v.Units.TimeUnit:G4} s, voltage scale = {v.Units.VoltageScale:G4} V, not at the report's units");
                if (v.Design != design.Name) throw new KirchhoffHwException(path, $"is a verdict of design '{Generate.Formatting.Names.CommentText(v.Design)}', not of '{Generate.Formatting.Names.CommentText(design.Name)}'");
            }
            var (vectors, origin) = io.Read(r, design, required: false);
            if (vectors.Length == 0 && results.Count > 0)
            {
                vectors = results[0].v.Cases.OrderBy(c => c.Index).Select(c => c.Input).ToArray();
                origin = $"the inputs of {results[0].path}";
            }
            var cells = new CellStage(Common.ExistingFile(r, tech));
            bool sized = cells.Explicit || results.Any(x => x.v.Fidelity.UsesCells);
            var outDir = r.GetValue(output)!;
            var chip = new StageProgress(console).Run(progress =>
            {
                progress(new("reference", 0, 1, $"{vectors.Length} inputs"));
                var reference = ReferenceRun.Solve(design, vectors, SolverOptions.Golden,
                    OperatingPoint.Grid(design).Concat(sized ? CellStage.RangeTimes(design) : []), cancel: cancel);
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
