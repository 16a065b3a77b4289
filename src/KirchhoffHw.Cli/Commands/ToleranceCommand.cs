using System.CommandLine;
using System.Globalization;
using KirchhoffHw.Cells;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;
using KirchhoffHw.Flow;
using Spectre.Console;

namespace KirchhoffHw.Cli.Commands;

internal static class ToleranceCommand
{
    public static Command Create(Console console)
    {
        var io = new ModelInputs(console);
        var kinds = new Option<string?>("--imperfections")
        {
            Description = "Comma-separated imperfections to sweep (default: all): " +
                string.Join(", ", Tolerances.All.Select(k => $"{Tolerances.Name(k)} ({Tolerances.Describe(k)})")) +
                ". U is each device's input range over the inputs, the range its cell is sized for.",
        }.NameList(Tolerances.All.Select(Tolerances.Name));
        var strengths = new Option<string?>("--strengths")
        {
            Description = "Comma-separated strengths s, each tried in ascending order until the task fails (default: 1e-5,1e-4,1e-3,1e-2,1e-1).",
        }.ParsedBy(text => ParseStrengths(text));
        var rtol = new Option<double>("--reference-tol") { Description = "rtol = atol of the solver, for the ideal and every perturbed law alike.", DefaultValueFactory = _ => 1e-6 }.PositiveFinite();
        var units = new UnitOptions();
        var tech = FidelityOptions.TechOption("Also solve the design on the characterized pin-level cells of this technology YAML (at --voltage-scale and the other units) " +
            "and report where they stand against the sweep, with each cell's mismatch and output conductance.");
        var output = Common.Output<string?>("Write the sweep as JSON: per imperfection its points (strength, holds, task figures) and the largest tolerated strength.", required: false);
        var command = new Command("tolerance",
            "What the trained network tolerates of its cells: every device's law is perturbed at once (random gain and offset " +
            "mismatch, a systematic offset, a soft ReLU knee, curvature), solved by the software reference, and judged on the " +
            "task: classes kept (classifiers), mean per-sample error within 5 % of the reference std (generative models). " +
            "The largest strength that holds is the specification a cell must meet.\n\n" +
            "Example:\n  kirchhoffhw tolerance ../shared/models/mnist/model.pth --random 32 --seed 1 -o tolerance.json");
        io.AddTo(command);
        units.AddTo(command);
        foreach (var o in new Option[] { kinds, strengths, rtol, tech, output }) command.Options.Add(o);
        command.SetAction((r, cancel) => Task.FromResult(Execute(r, cancel)));
        return command;

        int Execute(ParseResult r, CancellationToken cancel)
        {
            var imported = io.Load(r);
            var design = units.Apply(r, imported.Design);
            var (inputs, origin) = io.Read(r, design);
            var stage = r.GetValue(tech) is { } techPath ? new CellStage(techPath) : null;
            var library = stage?.Library;
            // the imperfections are in model units; the voltage scale matters to the cells, so auto is chosen as verify chooses it
            if (units.AutoMargin(r) is { } margin && inputs.Length > 0)
            {
                var run = ReferenceRun.Solve(design, inputs, SolverOptions.Dopri5(r.GetValue(rtol)), VoltageScaleStage.Times(design), cancel: cancel);
                (design, _, var choice) = VoltageScaleStage.Apply(run, (stage ?? new CellStage(null)).Technology, margin);
                console.Out.WriteLine("units       " + choice.Describe());
            }
            var which = r.GetValue(kinds) is { } k ? k.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Tolerances.Parse).ToList() : Tolerances.All.ToList();
            var levels = ParseStrengths(r.GetValue(strengths));
            double tol = r.GetValue(rtol);

            var result = new ProgressReporter(console, "tolerance", which.Count * levels.Count).Run(report =>
                ToleranceAnalysis.Run(design, inputs, origin, which, levels, SolverOptions.Dopri5(tol), r.GetValue(io.Seed), (done, _, note) => report(done, note), cancel, cells: library));

            var table = new Table().Border(TableBorder.Rounded).AddColumn("imperfection");
            foreach (var s in levels) table.AddColumn(new TableColumn(Format(s)).RightAligned());
            table.AddColumn(new TableColumn("tolerated").RightAligned());
            foreach (var kind in result.Kinds)
            {
                var cells = new List<string> { Tolerances.Name(kind) };
                foreach (var s in levels)
                {
                    var p = result.Points.FirstOrDefault(p => p.Kind == kind && p.Strength == s);
                    cells.Add(p is null ? "-" : (p.Holds ? "[green]" : "[red]") + Markup.Escape(Figure(p)) + "[/]");
                }
                cells.Add(result.Tolerated(kind) is { } t ? Format(t) : "< " + Format(levels[0]));
                table.AddRow(cells.ToArray());
            }
            console.Render(table);
            foreach (var kind in result.Kinds) console.Err.WriteLine($"{Tolerances.Name(kind)}: {Tolerances.Describe(kind)}");
            if (result.Kinds.Contains(Imperfection.Lag))
                console.Err.WriteLine(result.Tolerated(Imperfection.Lag) is { } lag
                    ? string.Create(CultureInfo.InvariantCulture, $"lag budget: {lag:G3} time units = {lag * result.TimeUnit:G3} s at {result.TimeUnit:G3} s per unit (--time-unit): every cell's settling time constant must stay within it")
                    : $"lag budget: below the smallest lag tried ({Format(levels[0])} time units)");
            console.Err.WriteLine($"criterion: {result.Criterion}; {result.Cases} inputs ({origin}); cells: a figure is " +
                (design.Task == TaskKind.Classification ? "the share of inputs keeping their class" : design.Task == TaskKind.Generation ? "mean per-sample error / reference std" : "max output error"));
            if (result.Cells is { } c)
            {
                console.Err.WriteLine($"cells ({c.Technology}, {c.VoltageScale:G3} V per unit, pin-level): {(c.Holds ? "holds" : "fails")}, {Figure(new TolerancePoint(Imperfection.Gain, 0, c.Holds, c.ArgmaxAgreement, c.MaxOutputError, c.MeanSampleError, c.ReferenceStd, c.Seconds))}");
                console.Err.WriteLine($"  law: {c.Model}");
                foreach (var f in c.Figures)
                    console.Err.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {f.Cell}: to/from mismatch {f.MismatchAtBalancePercent:G3} % of bias at balance (max {f.MaxMismatchPercent:G3} %), output conductance {f.MaxToConductance:G3} / {f.MaxFromConductance:G3} of bias per V (to / from, max over the input)"));
                foreach (var f in c.UnitFigures)
                    console.Err.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {f.Cell}: {f.Figure} {f.Value:G3} {f.Unit} ({f.Source})"));
            }
            if (r.GetValue(output) is { } path)
            {
                result.Write(path);
                console.Err.WriteLine($"wrote {path}");
            }
            return App.ExitOk;
        }
    }

    private static string Figure(TolerancePoint p) => p.ArgmaxAgreement is { } a ? a.ToString("P0", CultureInfo.InvariantCulture)
        : p.MeanSampleError is { } m && p.ReferenceStd is > 0 ? (m / p.ReferenceStd.Value).ToString("P1", CultureInfo.InvariantCulture)
        : p.MaxOutputError.ToString("G3", CultureInfo.InvariantCulture);

    private static string Format(double s) => s.ToString("G3", CultureInfo.InvariantCulture);

    private static IReadOnlyList<double> ParseStrengths(string? text)
    {
        if (text is null) return ToleranceAnalysis.DefaultStrengths;
        var values = new List<double>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Numbers.ParseEngineering(item) is not { } v || !(v > 0) || double.IsInfinity(v))
                throw new KirchhoffHwException("<options>", $"--strengths: '{Names.CommentText(item)}' is not a positive number (example: 1e-4,1e-3,1e-2)");
            values.Add(v);
        }
        if (values.Count == 0) throw new KirchhoffHwException("<options>", "--strengths is empty");
        return values.Distinct().OrderBy(v => v).ToList();
    }
}
