using System.CommandLine;
using KirchhoffHw.Flow;
using KirchhoffHw.Model;
using KirchhoffHw.Report;
using KirchhoffHw.Slurm;
using KirchhoffHw.Verify;
using Spectre.Console;

namespace KirchhoffHw.Cli.Commands;

internal static class FlowCommand
{
    public const int DefaultCases = 8;

    public static Command Create(Console console)
    {
        var io = new ModelInputs();
        var units = new UnitOptions();
        var deck = new DeckOptions();
        var tech = FidelityOptions.TechOption("Technology file (designs/tech/*.yaml). Given, the report sizes every device's cell from it " +
            "(characterized once, cached); without it the shipped ptm45hp.yaml is characterized only when a MOS fidelity needs cells.");
        var output = Common.Output<string>("Output directory: report.html, report.md, report.json, plots/, decks, Verilog-AMS and verdicts.", required: true, folder: true);
        var fidelity = FidelityOptions.Choice("Fidelities to generate and verify, comma-separated: ideal, macro, transistor.");
        var noVerify = new Option<bool>("--no-verify") { Description = "Generate and report without simulating (the report says verification was not run)." };
        var tolerance = new Option<double?>("--tolerance") { Description = "Largest |circuit - reference| in model units (default per task)." };
        var jobs = new Option<int>("--jobs", "-j") { Description = "Cases simulated at once here (default: the number of cores; --scheduler local).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var scheduler = new SchedulerOptions();
        var command = new Command("flow", "The whole pipeline in one run: import, generate (ngspice deck per fidelity and Verilog-AMS), verify\n" +
            "each fidelity by co-simulation, and write the chip report (report.html, report.md, report.json).\n" +
            $"Without --inputs or --random, {DefaultCases} random inputs are drawn with --seed. Exit code 0 = pass, 1 = a verification failed\n" +
            "(the report is written and shows it), 2 = bad input.");
        io.AddTo(command);
        units.AddTo(command);
        deck.AddTo(command);
        foreach (var o in new Option[] { tech, output, fidelity.Option, noVerify, tolerance, jobs }) command.Options.Add(o);
        scheduler.AddTo(command);
        command.SetAction((r, cancel) => Task.FromResult(Execute(r, cancel)));
        return command;

        int Execute(ParseResult r, CancellationToken cancel)
        {
            var imported = io.Load(r);
            var design = units.Apply(r, imported.Design);
            var techPath = Common.ExistingFile(r, tech);
            var fidelities = ParseFidelities(fidelity, r.GetValue(fidelity.Option)!);
            var (vectors, origin) = io.Read(r, design, required: false);
            if (vectors.Length == 0)
            {
                var kind = design.Task == TaskKind.Classification ? Import.Cases.RandomInputKind.Uniform01 : Import.Cases.RandomInputKind.StandardNormal;
                int s = r.GetValue(io.Seed);
                vectors = Import.Cases.InputReader.Random(DefaultCases, design.Input.Width, s, kind);
                origin = $"random: {DefaultCases} x {kind} inputs, seed {s} (default)";
            }
            if (r.GetValue(jobs) < 1) throw new KirchhoffHwException("<options>", "--jobs must be at least 1");
            var slurm = scheduler.Settings(r);
            var plan = new FlowPlan
            {
                Design = design,
                Source = imported.Source,
                Inputs = vectors,
                InputOrigin = origin,
                Seed = io.SeedUsed(r),
                TechPath = techPath,
                OutputDirectory = r.GetValue(output)!,
                Command = Common.CommandLine(r),
                Fidelities = fidelities,
                Verify = !r.GetValue(noVerify),
                VerifyOptions = VerifyOptions.Default with { Spice = deck.Spice(r), Tolerance = r.GetValue(tolerance) },
                Backend = CoSimBackend.NgspiceShared,
                Jobs = r.GetValue(jobs),
                DigitalTolerance = imported.Tolerance ?? 1e-3,
            };
            var stages = new StageProgress(console);
            var result = stages.Run(p => FlowRunner.Run(slurm is null ? plan : plan with
            {
                Runner = q =>
                {
                    var stage = $"verify {q.Circuit.Built.Key}";
                    return new SlurmCaseRunner(slurm, new TaskSource(r.GetValue(io.Model)!, r.GetValue(io.Config), techPath, plan.Backend.Name), q,
                        text => stages.Notice(stage, text), new Inline<SlurmProgress>(s => p(new FlowProgress(stage, s.CasesDone, s.CasesTotal, s.ToString()))));
                },
            }, p, cancel));
            Summary(console, result.Report, result.Stages);
            console.Out.WriteLine($"report: {Path.GetFullPath(result.HtmlPath)}");
            return result.Report.Verdict == VerdictStatus.Fail ? App.ExitFailed : App.ExitOk;
        }
    }

    public static IReadOnlyList<Fidelity> ParseFidelities(Choice<Fidelity> choice, string text)
    {
        var list = new List<Fidelity>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var f = choice.Parse(part);
            if (!list.Contains(f)) list.Add(f);
        }
        if (list.Count == 0) throw new KirchhoffHwException("<options>", "--fidelity needs at least one of ideal, macro, transistor");
        return list;
    }

    /// <summary>The closing table: headline figures, verdict per fidelity and time per stage.</summary>
    public static void Summary(Console console, ChipReport report, IReadOnlyList<(string Stage, TimeSpan Elapsed)> stages)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{report.Design}: chip report")).AddColumn("figure").AddColumn(new TableColumn("value").RightAligned());
        foreach (var h in report.Headlines) table.AddRow(Markup.Escape(h.Label), Markup.Escape(Format.Quantity(h.Value, h.Unit)));
        table.AddRow("bias range", report.BiasFeasible switch
        {
            true => "feasible",
            false => $"[red]{report.Counts.OutOfRange} devices outside[/]",
            null => "not assessed (no cells characterized)",
        });
        foreach (var v in report.Verification)
            table.AddRow(Markup.Escape($"verification ({v.Fidelity.Key})"), v.Status == VerdictStatus.Fail ? "[red]FAIL[/]" : Markup.Escape(v.Status.Text()));
        foreach (var (stage, elapsed) in stages) table.AddRow(Markup.Escape($"time: {stage}"), $"{elapsed.TotalSeconds:F1} s");
        console.Render(table);
    }
}
