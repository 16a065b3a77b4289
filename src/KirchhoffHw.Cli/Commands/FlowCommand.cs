using System.CommandLine;
using KirchhoffHw.Cells;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Simulate;
using KirchhoffHw.Report;
using KirchhoffHw.Simulate.Ngspice;
using KirchhoffHw.Verify;
using Spectre.Console;

namespace KirchhoffHw.Cli.Commands;

/// <summary>Options of the verbs that end in a chip report.</summary>
internal sealed class ReportOptions
{
    public Option<string?> Tech { get; } = new("--tech") { Description = "Technology file (designs/tech/*.yaml; default: the shipped ptm45hp.yaml)." };
    public Option<string> Out { get; } = new("--out") { Description = "Output directory: report.html, report.md, report.json, plots/, and (flow) decks, Verilog-AMS and verdicts.", Required = true };

    public void AddTo(Command command)
    {
        command.Options.Add(Tech);
        command.Options.Add(Out);
    }

    public string TechPath(ParseResult r)
    {
        var path = r.GetValue(Tech) ?? Technology.DefaultPath();
        if (!File.Exists(path)) throw new KirchhoffHwException(path, "technology file not found");
        return path;
    }

    /// <summary>The command as typed, for the report's reproducibility section.</summary>
    public static string CommandLine(ParseResult r) => "kirchhoffhw " + string.Join(" ", r.Tokens.Select(t => t.Value.Contains(' ') ? $"\"{t.Value}\"" : t.Value));

    /// <summary>Random inputs were drawn: their seed goes into the report.</summary>
    public static int? Seed(ParseResult r, ModelInputs io) => r.GetValue(io.Random) is not null || r.GetValue(io.Inputs) is null ? r.GetValue(io.Seed) : null;
}

internal static class FlowCommand
{
    public const int DefaultCases = 8;

    public static Command Create(Console console)
    {
        var io = new ModelInputs(console);
        var circuit = new CircuitOptions();
        var report = new ReportOptions();
        var fidelity = new Option<string>("--fidelity") { Description = "Fidelities to generate and verify, comma-separated: ideal, macro, transistor.", DefaultValueFactory = _ => "ideal" }
            .Check((name, v) => OptionValues.OneOf(name, v, true, "ideal", "macro", "transistor"));
        var noVerify = new Option<bool>("--no-verify") { Description = "Generate and report without simulating (the report says verification was not run)." };
        var tolerance = Common.Tolerance("Largest |circuit - reference| in model units (default per task).");
        var jobs = Common.Jobs("Cases simulated at once (default: the number of cores).");
        var command = new Command("flow", "The whole pipeline in one run: import, generate (ngspice deck per fidelity and Verilog-AMS), verify\n" +
            "each fidelity by co-simulation, and write the chip report (report.html, report.md, report.json).\n" +
            $"Without --inputs or --random, {DefaultCases} random inputs are drawn with --seed. Exit code 0 = pass, 1 = a verification failed\n" +
            "(the report is written and shows it), 2 = bad input.");
        io.AddTo(command);
        circuit.AddTo(command);
        report.AddTo(command);
        foreach (var o in new Option[] { fidelity, noVerify, tolerance, jobs }) command.Options.Add(o);
        command.SetAction((r, cancel) => Task.FromResult(Execute(r, cancel)));
        return command;

        int Execute(ParseResult r, CancellationToken cancel)
        {
            OutputPath.RequireWritableFolder(r.GetValue(report.Out)!, "plots", "verilog-ams");
            if (!r.GetValue(noVerify)) SimulatorCheck.Require(() => new NgspiceShared());
            var imported = io.Load(r);
            var design = circuit.Apply(r, imported.Design);
            var (vectors, origin) = io.Read(r, design, required: false);
            if (vectors.Length == 0)
            {
                var kind = design.Task == TaskKind.Classification ? Import.Cases.RandomInputKind.Uniform01 : Import.Cases.RandomInputKind.StandardNormal;
                int s = r.GetValue(io.Seed);
                vectors = Import.Cases.InputReader.Random(DefaultCases, design.Input.Width, s, kind);
                origin = $"random: {DefaultCases} x {kind} inputs, seed {s} (default)";
            }
            var plan = new FlowPlan
            {
                Design = design,
                Source = imported.Source,
                Inputs = vectors,
                InputOrigin = origin,
                Seed = ReportOptions.Seed(r, io),
                TechPath = report.TechPath(r),
                OutputDirectory = r.GetValue(report.Out)!,
                Command = ReportOptions.CommandLine(r),
                Fidelities = ParseFidelities(r.GetValue(fidelity)!),
                Verify = !r.GetValue(noVerify),
                VerifyOptions = VerifyOptions.Default with { Spice = circuit.Spice(r), Tolerance = r.GetValue(tolerance) },
                Simulators = () => new NgspiceShared(),
                Jobs = r.GetValue(jobs),
                DigitalTolerance = imported.Tolerance ?? 1e-3,
            };
            var result = new StageProgress(console).Run(p => FlowRunner.Run(plan, p, cancel));
            Summary(console, result.Report, result.Stages);
            console.Out.WriteLine($"report: {Path.GetFullPath(result.HtmlPath)}");
            return result.Report.Verdict == "FAIL" ? App.ExitFailed : App.ExitOk;
        }
    }

    public static IReadOnlyList<Fidelity> ParseFidelities(string text)
    {
        var list = new List<Fidelity>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var f = FidelityOptions.ParseOne(part);
            if (!list.Contains(f)) list.Add(f);
        }
        if (list.Count == 0) throw new KirchhoffHwException("<options>", "--fidelity needs at least one of ideal, macro, transistor");
        return list;
    }

    /// <summary>The closing table: headline figures, verdict per fidelity and time per stage.</summary>
    public static void Summary(Console console, ChipReport report, IReadOnlyList<(string Stage, TimeSpan Elapsed)> stages)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{Model.Text.TerminalText.Escape(report.Design)}: chip report")).AddColumn("figure").AddColumn(new TableColumn("value").RightAligned());
        foreach (var h in report.Headlines) table.AddRow(Markup.Escape(h.Label), Markup.Escape(Format.Quantity(h.Value, h.Unit)));
        table.AddRow("bias range", report.BiasFeasible ? "feasible" : $"[red]{report.Counts.OutOfRange} devices outside[/]");
        foreach (var v in report.Verification) table.AddRow(Markup.Escape($"verification ({v.Fidelity})"), v.Status == "FAIL" ? "[red]FAIL[/]" : Markup.Escape(v.Status));
        foreach (var (stage, elapsed) in stages) table.AddRow(Markup.Escape($"time: {stage}"), $"{elapsed.TotalSeconds:F1} s");
        console.Render(table);
    }
}
