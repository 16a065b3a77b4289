using System.CommandLine;
using KirchhoffHw.Flow;
using KirchhoffHw.Model;
using KirchhoffHw.Report;
using KirchhoffHw.Simulate;
using KirchhoffHw.Slurm;
using KirchhoffHw.Verify;
using Spectre.Console;

namespace KirchhoffHw.Cli.Commands;

internal static class FlowCommand
{
    public const int DefaultCases = 8;

    public static Command Create(Console console)
    {
        var io = new ModelInputs(console);
        var units = new UnitOptions();
        var deck = new DeckOptions();
        var tech = FidelityOptions.TechOption("Technology file (designs/tech/*.yaml). Given, the report sizes every device's cell from it " +
            "(characterized once, cached); without it the shipped ptm45hp.yaml is characterized only when a MOS fidelity needs cells.");
        var output = Common.Output<string>("Output directory: report.html, report.md, report.json, plots/, decks, Verilog-AMS and verdicts.", required: true, folder: true,
            subfolders: ["plots", "verilog-ams"]);
        var fidelity = FidelityOptions.Choice("Fidelities to generate and verify, comma-separated: ideal, macro, transistor.", list: true);
        var noVerify = new Option<bool>("--no-verify") { Description = "Generate and report without simulating (the report says verification was not run)." };
        var tolerance = new ToleranceOptions();
        var jobs = Common.Jobs("Cases simulated at once here (default: the number of cores; --scheduler local).");
        var scheduler = new SchedulerOptions();
        var calibrate = new Option<bool>("--calibrate") { Description = "Calibrate the trained network to --tech's cells first (as `calibrate` does, 128 training draws from --seed, the flow's inputs held out); generate, verify and report the calibrated design against the trained network." };
        var calibrateIterations = new Option<int>("--calibrate-iterations") { Description = "Most optimizer iterations of --calibrate.", DefaultValueFactory = _ => Calibration.LbfgsOptions.Default.MaxIterations };
        var timeUnits = new Option<string?>("--time-units")
        {
            Description = "Timescale, measured: verify the highest --fidelity again at each of these comma-separated time units (e.g. 10n,100n,1u; " +
                "capacitance and voltage scale kept), verdicts timescale.t<i>.json and the sweep timescale.json beside the report, which plots the error " +
                "at each time unit beside the estimated sweep and names the fastest passing one.",
        }.ParsedBy(text => VerifyCommand.TimeUnits(text!));
        var command = new Command("flow", "The whole pipeline in one run: import, generate (ngspice deck per fidelity and Verilog-AMS), verify\n" +
            "each fidelity by co-simulation, and write the chip report (report.html, report.md, report.json).\n" +
            $"Without --inputs or --random, {DefaultCases} random inputs are drawn with --seed. Exit code 0 = pass, 1 = a verification failed\n" +
            "(the report is written and shows it), 2 = bad input.");
        io.AddTo(command);
        units.AddTo(command);
        deck.AddTo(command);
        tolerance.AddTo(command);
        foreach (var o in new Option[] { tech, output, fidelity.Option, noVerify, jobs, calibrate, calibrateIterations, timeUnits }) command.Options.Add(o);
        scheduler.AddTo(command);
        command.SetAction((r, cancel) => Task.FromResult(Execute(r, cancel)));
        return command;

        int Execute(ParseResult r, CancellationToken cancel)
        {
            var slurm = scheduler.Settings(r);
            var taus = r.GetValue(timeUnits) is { } list ? VerifyCommand.TimeUnits(list) : [];
            // the Slurm tasks rebuild the design from the command line, which does not carry a sweep's time unit
            if (slurm is not null && taus.Count > 0)
                throw new KirchhoffHwException("<options>", "--time-units runs each time unit here: it cannot be combined with --scheduler slurm");
            if (r.GetValue(noVerify) && taus.Count > 0)
                throw new KirchhoffHwException("<options>", "--time-units measures the timescale by simulating: it cannot be combined with --no-verify");
            // A missing ngspice is the machine's state: said once, with the install hint, before any work (a Slurm
            // job's tasks find it on their nodes, and say so there).
            if (!r.GetValue(noVerify) && slurm is null) SimulatorCheck.Require(CoSimBackend.NgspiceShared.Simulators);
            var imported = io.Load(r);
            var design = units.Apply(r, imported.Design);
            var techPath = Common.ExistingFile(r, tech);
            var fidelities = fidelity.GetAll(r);
            var (vectors, origin) = io.Read(r, design, required: false);
            if (vectors.Length == 0)
            {
                var kind = design.Task == TaskKind.Classification ? Import.Cases.RandomInputKind.Uniform01 : Import.Cases.RandomInputKind.StandardNormal;
                int s = r.GetValue(io.Seed);
                vectors = Import.Cases.InputReader.Random(DefaultCases, design.Input.Width, s, kind);
                origin = $"random: {DefaultCases} x {kind} inputs, seed {s} (default)";
            }
            var (target, source) = r.GetValue(calibrate) ? (design, imported.Source) : CalibrateCommand.Target(design, imported.Source, console);
            var plan = new FlowPlan
            {
                Target = target,
                Calibrate = r.GetValue(calibrate) ? CalibrateCommand.FlowRequest(design, r.GetValue(io.Model)!, r.GetValue(io.Config), r.GetValue(io.Seed), vectors) with { Iterations = CalibrateCommand.Iterations(r.GetValue(calibrateIterations)) } : null,
                Design = design,
                Source = source,
                Inputs = vectors,
                InputOrigin = origin,
                Seed = io.SeedUsed(r),
                TechPath = techPath,
                OutputDirectory = r.GetValue(output)!,
                Command = Common.CommandLine(r),
                Fidelities = fidelities,
                Verify = !r.GetValue(noVerify),
                VerifyOptions = tolerance.Apply(r, VerifyOptions.Default with { Spice = deck.Spice(r) }),
                AutoVoltageMargin = units.AutoMargin(r),
                Backend = CoSimBackend.NgspiceShared,
                Jobs = r.GetValue(jobs),
                DigitalTolerance = imported.Tolerance ?? 1e-3,
                TimeUnits = taus,
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
            return result.Report.VerificationStatus == VerdictStatus.Fail ? App.ExitFailed : App.ExitOk;
        }
    }

    /// <summary>The closing table: headline figures, verdict per fidelity and time per stage.</summary>
    public static void Summary(Console console, ChipReport report, IReadOnlyList<(string Stage, TimeSpan Elapsed)> stages)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{Model.Text.TerminalText.Escape(report.Design)}: chip report")).AddColumn("figure").AddColumn(new TableColumn("value").RightAligned());
        string verdict = Markup.Escape(report.Chip.Headline);
        table.AddRow("verdict", report.Chip.Status == ChipStatus.Pass ? $"[green]{verdict}[/]" : report.Chip.Status == ChipStatus.Incomplete ? verdict : $"[red]{verdict}[/]");
        string mark = report.Chip.Mark is { } m ? $" ({m})" : "";
        foreach (var h in report.Headlines) table.AddRow(Markup.Escape(h.Label), Markup.Escape(Format.Quantity(h.Value, h.Unit) + mark));
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
