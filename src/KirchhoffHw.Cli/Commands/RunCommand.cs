using System.CommandLine;
using System.Globalization;
using KirchhoffHw.Import.Cases;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Cli.Commands;

internal static class RunCommand
{
    public static Command Create(Console console)
    {
        var io = new ModelInputs(console);
        var rtol = new Option<double?>("--rtol") { Description = "Relative tolerance of the Dormand-Prince solver (default: the checkpoint's simulation.tol, else 1e-3)." }.PositiveFinite();
        var atol = new Option<double?>("--atol") { Description = "Absolute tolerance (default: as --rtol)." }.PositiveFinite();
        var method = new Choice<SolverMethod>("--method", "dopri5 (adaptive, default) or rk4 (fixed step, see --step).", "dopri5",
            ("dopri5", SolverMethod.Dopri5), ("rk4", SolverMethod.Rk4));
        var step = new Option<double>("--step") { Description = "Step of rk4 in model time units.", DefaultValueFactory = _ => 1e-3 }.PositiveFinite();
        var output = Common.Output<string?>("Write results in the shape of vectors.json: cases[*].input, boundaries[*].{t,state}, output.", required: false);
        var command = new Command("run", "Run the software reference (the golden model) on inputs: the forward pass, layer by layer.");
        io.AddTo(command);
        foreach (var option in new Option[] { rtol, atol, method.Option, step, output }) command.Options.Add(option);
        command.SetAction((r, cancel) => Task.FromResult(Execute(r, cancel)));
        return command;

        int Execute(ParseResult r, CancellationToken cancel)
        {
            var imported = io.Load(r);
            var design = imported.Design;
            var (vectors, origin) = io.Read(r, design);
            double rt = r.GetValue(rtol) ?? imported.Tolerance ?? 1e-3, at = r.GetValue(atol) ?? r.GetValue(rtol) ?? imported.Tolerance ?? 1e-3;
            var options = method.Get(r) == SolverMethod.Rk4 ? SolverOptions.Rk4(r.GetValue(step)) : SolverOptions.Dopri5(rt) with { AbsTol = at };
            if (!(options.RelTol > 0 && options.AbsTol > 0 && options.Rk4Step > 0))
                throw new KirchhoffHwException("<options>", "tolerances and step must be positive");
            var result = new ProgressReporter(console, "reference", vectors.Length).Run(report =>
                ReferenceSolver.Solve(design, vectors, options, casesDone: new Progress<int>(n => report(n, null)), cancel: cancel));

            var stats = result.Total;
            console.Err.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{vectors.Length} cases in {result.Elapsed.TotalSeconds:F3} s ({vectors.Length / Math.Max(result.Elapsed.TotalSeconds, 1e-9):F0}/s), {options.Method} rtol={options.RelTol:G3} atol={options.AbsTol:G3}, {stats.Accepted} steps, {stats.RhsEvaluations} evaluations"));
            if (r.GetValue(output) is { } path)
            {
                var cases = result.Cases.Select((c, i) => new Case(vectors[i], c.Boundaries.Select(b => new Boundary(b.T, b.State)).ToList(), c.Output)).ToList();
                var metadata = new Dictionary<string, object?>
                {
                    ["design"] = design.Name,
                    ["source"] = imported.Source,
                    ["inputs"] = origin,
                    ["projector"] = design.Readout.ToString(),
                    ["solver"] = options.Method == SolverMethod.Dopri5
                        ? string.Create(CultureInfo.InvariantCulture, $"Dormand-Prince 5(4), rtol={options.RelTol:G}, atol={options.AbsTol:G}, float64")
                        : string.Create(CultureInfo.InvariantCulture, $"RK4, step={options.Rk4Step:G}, float64"),
                };
                CaseFile.Write(path, new CaseSet(cases, metadata));
                console.Err.WriteLine($"wrote {path}");
            }
            else
            {
                foreach (var c in result.Cases)
                    console.Out.WriteLine(string.Join(" ", c.Output.Select(v => v.ToString("G9", CultureInfo.InvariantCulture))));
            }
            return App.ExitOk;
        }
    }
}
