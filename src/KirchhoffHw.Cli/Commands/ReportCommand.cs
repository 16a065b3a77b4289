using System.CommandLine;
using KirchhoffHw.Cells;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Report;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Cli.Commands;

internal static class ReportCommand
{
    public static Command Create(Console console)
    {
        var io = new ModelInputs(console);
        var circuit = new CircuitOptions();
        var report = new ReportOptions();
        var verdicts = new Option<string[]>("--verdict") { Description = "Verdict files from `kirchhoffhw verify` or `flow` (repeatable, one per fidelity); their inputs and units are the report's.", AllowMultipleArgumentsPerToken = true };
        var command = new Command("report", "Build the chip report from existing results: a design, a technology and (optionally) verdict files.\n" +
            "Without verdicts the report has counts and estimates and says that verification was not run; the reference runs on\n" +
            "--inputs/--random (or the verdicts' inputs) for the waveforms, the peak device current and the digital comparison.");
        io.AddTo(command);
        circuit.AddTo(command);
        report.AddTo(command);
        command.Options.Add(verdicts);
        command.SetAction((r, cancel) => Task.FromResult(Execute(r, cancel)));
        return command;

        int Execute(ParseResult r, CancellationToken cancel)
        {
            OutputPath.RequireWritableFolder(r.GetValue(report.Out)!, "plots");
            var imported = io.Load(r);
            var results = (r.GetValue(verdicts) ?? []).Select(path => (path, v: VerdictJson.Load(path))).ToList();
            // A verdict was made at fixed units: the report takes them, and refuses units that contradict them.
            var baseDesign = results.Count > 0 ? imported.Design.With(units: results[0].v.Units) : imported.Design;
            var design = circuit.Apply(r, baseDesign);
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
            var techPath = report.TechPath(r);
            var outDir = r.GetValue(report.Out)!;
            var chip = new StageProgress(console).Run(progress =>
            {
                progress(new("technology", 0, 1, "characterizing cells (cached after the first run)"));
                var tech = Technology.Load(techPath);
                var (library, mapping) = FlowRunner.Cells(tech, design, vectors);
                progress(new("report", 0, 1, "reference, estimates, plots"));
                var repro = new Reproducibility(ReportOptions.CommandLine(r), origin, r.GetValue(io.Random) is not null ? r.GetValue(io.Seed) : null, vectors,
                    [("technology", Path.GetFileName(techPath)), ("digital tolerance", (imported.Tolerance ?? 1e-3).ToString("R", System.Globalization.CultureInfo.InvariantCulture))]);
                var built = ReportBuilder.Build(TechnologyInputs.Request(design, imported.Source, tech, library, mapping, vectors, repro) with
                {
                    Verification = results.Count > 0
                        // A verdict names its fidelity with the technology, "macro (ptm45hp, typical)": the first word is the key.
                        ? results.Select(x => new VerificationRun(x.v.Fidelity.Split(' ')[0], x.v, VerdictFile: x.path)).ToList()
                        : [new VerificationRun("ideal", null, "not run: no verdict file was given (--verdict)")],
                    DigitalTolerance = imported.Tolerance ?? 1e-3,
                }, cancel);
                ReportWriter.Write(built, outDir);
                progress(new("report", 1, 1));
                return built;
            });
            FlowCommand.Summary(console, chip, []);
            console.Out.WriteLine($"report: {Path.GetFullPath(Path.Combine(outDir, "report.html"))}");
            return App.ExitOk;
        }
    }
}
