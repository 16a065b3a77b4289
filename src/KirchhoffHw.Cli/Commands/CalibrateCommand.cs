using System.CommandLine;
using System.Globalization;
using KirchhoffHw.Calibration;
using KirchhoffHw.Cells;
using KirchhoffHw.Flow;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Import;
using KirchhoffHw.Import.Cases;
using KirchhoffHw.Model;

namespace KirchhoffHw.Cli.Commands;

/// <summary>
/// `calibrate`: fits the trained network's device parameters and one trim per node to the technology's cells, so
/// the cell circuit computes what was trained (docs/adjoint.md), and writes the result as a design file.
/// </summary>
internal static class CalibrateCommand
{
    public static Command Create(Console console)
    {
        var model = Common.Model();
        var config = Common.Config();
        var tech = FidelityOptions.TechOption("Technology YAML whose cells the design is calibrated to (default: the shipped PTM 45 nm).");
        var units = new UnitOptions(required: true);
        var inputs = Common.Inputs();
        inputs.Description = "Training inputs (CSV, JSON or vectors.json); the last quarter (or --held-out rows) is held out. The way to calibrate a classifier on its own data.";
        var samples = new Option<int?>("--samples") { Description = "Draw N training inputs from the model's own distribution instead: standard normal, uniform in [0, 1] for classifiers (default 128)." };
        var seed = new Option<int>("--seed") { Description = "Seed of --samples; the held-out draw uses seed + 1. The same seed gives the same design.", DefaultValueFactory = _ => 0 };
        var heldOut = new Option<int?>("--held-out") { Description = "Held-out inputs the error is judged on (default: 100 fresh draws with --samples, a quarter of --inputs)." };
        var iterations = new Option<int>("--iterations") { Description = "Most optimizer iterations (projected L-BFGS).", DefaultValueFactory = _ => LbfgsOptions.Default.MaxIterations };
        var output = Common.Output<string>("The calibrated design (YAML): trained laws with calibrated parameters, node trims and the calibration record.", required: true);
        var command = new Command("calibrate", "Calibrate a trained network to the technology's cells: the trained network is the teacher, its circuit\n" +
            "with every device as its fitted cell the student; projected L-BFGS on adjoint gradients moves every device parameter\n" +
            "(within bounds) and one trim current per node until the student's outputs and layer-boundary states match the teacher's.\n" +
            "Writes a design that verify, generate, flow and report accept; verify compares it against the trained network.\n" +
            "Exit code 0 = written (a run that stopped before converging says so and records it), 2 = bad input.");
        command.Arguments.Add(model);
        command.Options.Add(config);
        command.Options.Add(tech);
        units.AddTo(command);
        foreach (var o in new Option[] { inputs, samples, seed, heldOut, iterations, output }) command.Options.Add(o);
        command.SetAction((r, cancel) => Task.FromResult(Execute(r, cancel)));
        return command;

        int Execute(ParseResult r, CancellationToken cancel)
        {
            var modelPath = r.GetValue(model)!;
            var imported = Common.Load(r, model, config);
            var margin = units.AutoMargin(r);
            var teacher = units.Apply(r, imported.Design);
            Iterations(r.GetValue(iterations));
            var (train, held, origin, seedUsed) = Draw(r, teacher, inputs, samples, seed, heldOut);
            var cells = new CellStage(Common.ExistingFile(r, tech));
            _ = cells.Technology;
            var path = r.GetValue(output)!;

            var outcome = new ProgressReporter(console, "calibrate", r.GetValue(iterations)).Run(report =>
            {
                report(0, cells.Characterized ? null : "reference and cells (characterized once per technology, then cached)");
                return CalibrationStage.Run(new CalibrationRequest
                {
                    Teacher = teacher,
                    TeacherReference = CalibrationStage.Reference(modelPath, r.GetValue(config)),
                    TrainingInputs = train,
                    HeldOutInputs = held,
                    Seed = seedUsed,
                    AutoVoltageMargin = margin,
                    Iterations = r.GetValue(iterations),
                }, cells, p => report(p.Iteration, $"loss {F(p.Loss)}{(p.HeldOut is { } h ? $", held-out {h}" : "")}"), cancel);
            });
            cancel.ThrowIfCancellationRequested();
            DesignYaml.Save(outcome.Design, path);

            var w = console.Out;
            var note = outcome.Design.Calibration!;
            var rec = outcome.Record;
            w.WriteLine($"teacher     {teacher.Name} ({teacher.Task.ToString().ToLowerInvariant()}) from {modelPath}");
            w.WriteLine($"student     {outcome.StudentKind} of {note.Technology} ({note.Corner}), C = {F(note.Units.Capacitance)} F, time unit = {F(note.Units.TimeUnit)} s, " +
                $"voltage scale = {F(note.Units.VoltageScale)} V{(outcome.VoltageScale is { } v ? $" (auto: largest |state| {F(v.PeakModelVoltage)} units, {F(v.Margin * 100)} % margin)" : "")}");
            // whether the student carried the cells' settling decides whether the transistor circuit can follow it
            if (RegulatedNetlist.Builds(outcome.Design)) w.WriteLine($"cells       {RegulatedFamily.LagIn(outcome.Design).Note}");
            foreach (var line in outcome.Clamped) w.WriteLine($"clamped     {line}");
            w.WriteLine($"inputs      {origin}: {train.Length} training, {held.Length} held out");
            w.WriteLine($"free        {rec.FreeParameters} parameters ({rec.ParametersAtBounds} ending on a bound), {rec.Trims} node trims ({rec.TrimsAtBounds} on a bound)");
            w.WriteLine($"loss        {F(rec.Loss[0])} -> {F(rec.Loss[^1])} in {rec.Iterations} iterations ({rec.Evaluations} evaluations, {rec.Seconds:F1} s)");
            if (rec.Times is { } t)
                w.WriteLine($"time        teacher {t.Teacher:F1} s, gradients {t.Gradients:F1} s (forward {t.Forward:F1} s, backward {t.Backward:F1} s, summed over threads), held-out solves {t.HeldOut:F1} s");
            w.WriteLine($"held out    before: {rec.Before}");
            w.WriteLine($"            after:  {rec.After}");
            w.WriteLine($"status      {note.Summary.Status}{(rec.Converged ? "" : rec.Status == StopReason.MaxIterations ? " (not converged: raise --iterations to go further)" : " (not converged)")}");
            w.WriteLine($"wrote {path}");
            return App.ExitOk;
        }
    }

    /// <summary>
    /// What a design must compute: for a calibrated design whose record names its trained network, that network (in the
    /// design's units, under its name), said on the console and in the verdict's source; otherwise the design itself.
    /// </summary>
    public static (Design Target, string Source) Target(Design design, string source, Console console)
    {
        if (design.Calibration?.Teacher is not { } teacher) return (design, source);
        if (CalibrationStage.TeacherProblem(teacher) is { } problem)
        {
            console.Err.WriteLine($"warning: {problem}; verifying against the calibrated design's own laws instead");
            return (design, source);
        }
        var trained = ModelLoader.Load(teacher.Model, teacher.Config).Design;
        var target = trained.With(units: design.Units, name: design.Name);
        if (target.NodeCount != design.NodeCount || target.Layers.Count != design.Layers.Count
            || target.Layers.Zip(design.Layers).Any(p => p.First.Edges.Count != p.Second.Edges.Count || p.First.Model.Name != p.Second.Model.Name))
            throw new KirchhoffHwException(source, $"the calibration record names {teacher.Model}, whose topology differs from this design's");
        console.Out.WriteLine($"reference   the trained network {teacher.Model} (named by the calibration record), not the calibrated laws");
        return (target, $"{source}, against the trained network {teacher.Model}");
    }

    /// <summary>`flow --calibrate`: 128 draws of the model's own distribution from the seed, the flow's own inputs held out.</summary>
    public static CalibrationRequest FlowRequest(Design design, string modelPath, string? config, int seed, IReadOnlyList<double[]> heldOut)
    {
        var kind = design.Task == TaskKind.Classification ? RandomInputKind.Uniform01 : RandomInputKind.StandardNormal;
        return new CalibrationRequest
        {
            Teacher = design,
            TeacherReference = CalibrationStage.Reference(modelPath, config),
            TrainingInputs = InputReader.Random(DefaultSamples, design.Input.Width, unchecked(seed + 1), kind),
            HeldOutInputs = heldOut,
            Seed = seed,
        };
    }

    public const int DefaultSamples = 128;

    public static int Iterations(int n) => n >= 1 ? n : throw new KirchhoffHwException("<options>", $"the calibration needs at least 1 iteration, got {n}");

    /// <summary>Training and held-out inputs: given rows split, or draws from the model's own distribution.</summary>
    private static (double[][] Train, double[][] Held, string Origin, int? Seed) Draw(ParseResult r, Design design,
        Option<string?> inputs, Option<int?> samples, Option<int> seed, Option<int?> heldOut)
    {
        var path = r.GetValue(inputs);
        var count = r.GetValue(samples);
        var held = r.GetValue(heldOut);
        if (path is not null && count is not null) throw new KirchhoffHwException("<options>", "give either --inputs or --samples, not both");
        if (held is < 1) throw new KirchhoffHwException("<options>", $"--held-out must be at least 1, got {held}");
        if (path is not null)
        {
            var rows = InputReader.Read(path);
            for (int i = 0; i < rows.Length; i++)
                if (rows[i].Length > design.NodeCount)
                    throw new KirchhoffHwException(path, $"input {i} has {rows[i].Length} values but {design.Name} has {design.NodeCount} nodes");
            int h = held ?? Math.Max(1, rows.Length / 4);
            if (rows.Length - h < 1) throw new KirchhoffHwException(path, $"{rows.Length} inputs leave none to train on after {h} held out");
            return (rows[..^h], rows[^h..], path, null);
        }
        int n = count ?? DefaultSamples;
        if (n < 1) throw new KirchhoffHwException("<options>", $"--samples needs a positive count, got {n}");
        var kind = design.Task == TaskKind.Classification ? RandomInputKind.Uniform01 : RandomInputKind.StandardNormal;
        int s = r.GetValue(seed);
        return (InputReader.Random(n, design.Input.Width, s, kind), InputReader.Random(held ?? 100, design.Input.Width, unchecked(s + 1), kind),
            $"{kind} draws, seed {s} (held out: seed {unchecked(s + 1)})", s);
    }

    private static string F(double x) => x.ToString("G4", CultureInfo.InvariantCulture);
}
