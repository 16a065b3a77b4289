using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using KirchhoffHw.Calibration;
using KirchhoffHw.Verify;
using KirchhoffHw.Simulate.Ngspice;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Generate;
using KirchhoffHw.Cells;
using KirchhoffHw.Flow;
using KirchhoffHw.Import;
using KirchhoffHw.Import.Cases;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Bench;

/// <summary>
/// Sensitivities and calibration. (a) The cost of a gradient (forward pass, checkpoints, adjoint) against one forward
/// solve of the same cases, for twomoon's ideal laws (fused kernel), twomoon with pin-level cells (generic kernel) and
/// mnist's ideal laws, alternated, best of 5 each. (b) twomoon with every device perturbed as a measured cell (gain 2 %, offsets
/// 2e-2 of range, 1 % to/from mismatch, output conductance 0.167 of bias per volt at 20 mV per unit) calibrated back to
/// the trained network on 128 standard-normal draws, judged on 100 fresh ones. (c) With BENCH_CALIBRATION_MNIST=N
/// (images, default 0: skipped), mnist with the same cells at 1 mV per unit on N random images, judged on the 3 cases
/// of vectors.json plus 29 random images. (d) The `calibrate` verb's path (<see cref="CalibrationStage"/>): twomoon against
/// the default technology's fitted cells at 1 pF and at 40 pF per node, 100 ns, automatic voltage scale, 128 standard-normal
/// draws (seed 1), 100 held out (seed 2): seconds and held-out error before and after. BENCH_CALIBRATION_SECTIONS=cells
/// runs (d) alone and merges it into the existing results; BENCH_CALIBRATION_ITERATIONS sets its iterations (default 200).
/// (e) Issue 16's claim at transistor level: twomoon calibrated as in (d) at 1 pF and each of BENCH_CALIBRATION_TRANSISTOR_TIME_UNITS
/// (default 100n,1u), then its v2 transistor deck verified in ngspice against the trained network on
/// BENCH_CALIBRATION_TRANSISTOR_SAMPLES fresh draws (default 100, seed 3: neither the training nor the held-out draws), two
/// cases at once; the uncalibrated deck on the same draws beside it. BENCH_CALIBRATION_SECTIONS=transistor runs (e) alone.
/// </summary>
internal static class CalibrationBench
{
    public static int Run(string root, string models)
    {
        var twomoon = CheckpointImporter.Load(Path.Combine(models, "twomoon", "model.pth")).Design;
        var path = Path.Combine(root, "bench", "results", "calibration.json");
        if (Environment.GetEnvironmentVariable("BENCH_CALIBRATION_SECTIONS") is "cells" or "transistor")
        {
            var existing = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path))!.AsObject() : new JsonObject();
            if (Environment.GetEnvironmentVariable("BENCH_CALIBRATION_SECTIONS") == "cells") existing["twomoon_fitted_cells"] = FittedCells(models, twomoon);
            else existing["twomoon_calibrated_transistor"] = CalibratedTransistor(models, twomoon);
            AtomicFile.WriteAllText(path, existing.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            Console.WriteLine($"wrote {path}");
            return 0;
        }
        var json = new JsonObject();

        // (a) gradient cost
        var costs = new JsonObject();
        var twomoonInputs = InputReader.Random(1024, 2, 11, RandomInputKind.StandardNormal);
        var cells = CellImperfections.Measured(0.02).Apply(twomoon, twomoonInputs, 7);
        costs["twomoon_ideal"] = Cost(twomoon, twomoonInputs, SolverOptions.Dopri5(1e-6) with { ChunkSize = 64 });
        costs["twomoon_pin_level_cells"] = Cost(cells, twomoonInputs, SolverOptions.Dopri5(1e-6) with { ChunkSize = 64 });
        var mnist = CheckpointImporter.Load(Path.Combine(models, "mnist", "model.pth")).Design;
        costs["mnist_ideal"] = Cost(mnist, InputReader.Random(32, 784, 11, RandomInputKind.Uniform01), SolverOptions.Dopri5(1e-3));
        json["gradient_cost"] = costs;

        // (b) twomoon
        var train = InputReader.Random(128, 2, 1, RandomInputKind.StandardNormal);
        var fresh = InputReader.Random(100, 2, 2, RandomInputKind.StandardNormal);
        var student = CellImperfections.Measured(0.02).Apply(twomoon, train, 7);
        var problem = new CalibrationProblem
        {
            Teacher = twomoon,
            Student = student,
            TrainingInputs = train,
            HeldOutInputs = fresh,
            Bounds = student.Layers.Select(l => LayerBounds.Around(l, [PerturbedCell.A, PerturbedCell.B, PerturbedCell.C, PerturbedCell.Amplitude], 0.5)).ToList(),
            Trims = TrimBounds.FromDeviceCurrents(twomoon, 0.05, 1e-3),
        };
        var options = CalibrationOptions.Default with { Optimizer = LbfgsOptions.Default with { MaxIterations = 200 }, HeldOutEvery = 10 };
        json["twomoon"] = Calibrate("twomoon", problem, options, "CellImperfections.Measured(0.02): gain 0.02, offset 0.02 U, mismatch 0.01, conductance 0.00334 |amp| per unit", out _);

        // (c) mnist, on request
        int images = int.TryParse(Environment.GetEnvironmentVariable("BENCH_CALIBRATION_MNIST"), out var m) ? m : 0;
        if (images > 0)
        {
            var vectors = CaseFile.Read(Path.Combine(models, "mnist", "vectors.json")).Cases.Select(c => c.Input).ToArray();
            var mnistTrain = InputReader.Random(images, 784, 1, RandomInputKind.Uniform01);
            var mnistStudent = CellImperfections.Measured(1e-3).Apply(mnist, mnistTrain, 7);
            var mnistProblem = new CalibrationProblem
            {
                Teacher = mnist,
                Student = mnistStudent,
                TrainingInputs = mnistTrain,
                HeldOutInputs = [.. vectors, .. InputReader.Random(29, 784, 2, RandomInputKind.Uniform01)],
                Bounds = mnistStudent.Layers.Select(l => LayerBounds.Around(l, [PerturbedCell.A, PerturbedCell.B, PerturbedCell.C, PerturbedCell.Amplitude], 0.5)).ToList(),
                Trims = TrimBounds.FromDeviceCurrents(mnist, 0.05, 1e-3),
            };
            int iterations = int.TryParse(Environment.GetEnvironmentVariable("BENCH_CALIBRATION_MNIST_ITERATIONS"), out var it) ? it : 30;
            var mnistOptions = CalibrationOptions.Default with
            {
                StudentSolver = SolverOptions.Dopri5(1e-3),
                TeacherSolver = SolverOptions.Dopri5(1e-6),
                Optimizer = LbfgsOptions.Default with { MaxIterations = iterations },
                HeldOutEvery = 5,
            };
            var mnistJson = Calibrate("mnist", mnistProblem, mnistOptions, "CellImperfections.Measured(0.001): gain 0.02, offset 0.02 U, mismatch 0.01, conductance 1.67e-4 |amp| per unit", out var calibrated);
            int Kept(Design d) => ReferenceSolver.Solve(d, vectors, SolverOptions.Dopri5(1e-6)).Cases
                .Zip(ReferenceSolver.Solve(mnist, vectors, SolverOptions.Dopri5(1e-6)).Cases, (a, b) => Array.IndexOf(a.Output, a.Output.Max()) == Array.IndexOf(b.Output, b.Output.Max()) ? 1 : 0).Sum();
            mnistJson["vectors_json_argmax_kept_before"] = Kept(mnistStudent);
            mnistJson["vectors_json_argmax_kept_after"] = Kept(calibrated);
            json["mnist"] = mnistJson;
        }

        json["twomoon_fitted_cells"] = FittedCells(models, twomoon);
        json["twomoon_calibrated_transistor"] = CalibratedTransistor(models, twomoon);

        json["machine"] = new JsonObject { ["cores"] = Environment.ProcessorCount, ["os"] = Environment.OSVersion.ToString(), ["runtime"] = Environment.Version.ToString() };
        json["date"] = DateTime.UtcNow.ToString("o");
        AtomicFile.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Console.WriteLine($"wrote {path}");
        return 0;
    }

    private static JsonObject Cost(Design design, double[][] inputs, SolverOptions options)
    {
        CaseLoss loss = (_, c, g) =>
        {
            double s = 0;
            for (int l = 0; l < g.Length; l++)
                for (int k = 0; k < g[l].Length; k++) { s += c.Boundaries[l].State[k] * c.Boundaries[l].State[k]; g[l][k] = 2 * c.Boundaries[l].State[k]; }
            return s;
        };
        ReferenceSolver.Solve(design, inputs.Take(8).ToArray(), options);
        Sensitivities.Solve(design, inputs.Take(8).ToArray(), loss, options);
        // alternated, best of 5 each, so both see the same share of a busy machine
        double forward = double.MaxValue, gradient = double.MaxValue;
        SensitivityResult? last = null;
        for (int i = 0; i < 5; i++)
        {
            forward = Math.Min(forward, ReferenceSolver.Solve(design, inputs, options).Elapsed.TotalSeconds);
            gradient = Math.Min(gradient, (last = Sensitivities.Solve(design, inputs, loss, options)).Elapsed.TotalSeconds);
        }
        Console.WriteLine($"{design.Name}: {inputs.Length} cases, forward {forward:F3} s, gradient {gradient:F3} s ({gradient / forward:F2}x)");
        return new JsonObject
        {
            ["design"] = design.Name,
            ["cases"] = inputs.Length,
            ["solver"] = $"Dopri5 rtol = atol = {options.RelTol:G3}, {options.ChunkSize} lanes",
            ["forward_s"] = forward,
            ["gradient_s"] = gradient,
            ["ratio"] = gradient / forward,
            ["accepted_steps"] = last!.Stats.AcceptedSteps,
            ["checkpoint_states"] = last.Stats.CheckpointStates,
            ["batched_calls"] = new JsonObject
            {
                ["forward"] = last.Stats.ForwardBatchedRhs,
                ["recompute"] = last.Stats.RecomputeBatchedRhs,
                ["adjoint"] = last.Stats.AdjointBatchedCalls,
            },
        };
    }

    private static JsonObject Calibrate(string name, CalibrationProblem problem, CalibrationOptions options, string cells, out Design calibrated)
    {
        var curve = new JsonArray();
        var result = Calibrator.Run(problem, options, p =>
        {
            if (p.HeldOut is null) return;
            Console.WriteLine($"{name} iteration {p.Iteration}: loss {p.Loss:E3}, {p.HeldOut} ({p.Elapsed.TotalSeconds:F1} s)");
            curve.Add(new JsonObject { ["iteration"] = p.Iteration, ["loss"] = p.Loss, ["seconds"] = p.Elapsed.TotalSeconds, ["held_out"] = Held(p.HeldOut) });
        });
        var r = result.Record;
        calibrated = result.Calibrated;
        Console.WriteLine($"{name}: {r.Status} after {r.Iterations} iterations, {r.Evaluations} evaluations, {r.Seconds:F1} s: {r.Before} -> {r.After}");
        return new JsonObject
        {
            ["cells"] = cells,
            ["training_cases"] = problem.TrainingInputs.Count,
            ["held_out_cases"] = problem.HeldOutInputs.Count,
            ["free_parameters"] = r.FreeParameters,
            ["trims"] = r.Trims,
            ["parameters_at_bounds"] = r.ParametersAtBounds,
            ["trims_at_bounds"] = r.TrimsAtBounds,
            ["status"] = r.Status.ToString(),
            ["iterations"] = r.Iterations,
            ["evaluations"] = r.Evaluations,
            ["seconds"] = r.Seconds,
            ["loss_start"] = r.Loss[0],
            ["loss_end"] = r.Loss[^1],
            ["before"] = Held(r.Before),
            ["after"] = Held(r.After),
            ["node_trims"] = new JsonArray(result.Calibrated.NodeTrims!.Take(16).Select(t => (JsonNode)t).ToArray()),
            ["curve"] = curve,
        };
    }

    /// <summary>(d): the verb's calibration of twomoon to the default technology's fitted cells, at two capacitances.</summary>
    private static JsonObject FittedCells(string models, Design twomoon)
    {
        int iterations = int.TryParse(Environment.GetEnvironmentVariable("BENCH_CALIBRATION_ITERATIONS"), out var n) ? n : 200;
        var train = InputReader.Random(128, 2, 1, RandomInputKind.StandardNormal);
        var fresh = InputReader.Random(100, 2, 2, RandomInputKind.StandardNormal);
        var cells = new CellStage(null);
        var result = new JsonObject { ["iterations_allowed"] = iterations, ["training_cases"] = train.Length, ["held_out_cases"] = fresh.Length, ["cores"] = Environment.ProcessorCount };
        foreach (var (key, capacitance) in new[] { ("c_1p", 1e-12), ("c_40p", 40e-12) })
        {
            var watch = Stopwatch.StartNew();
            var outcome = CalibrationStage.Run(new CalibrationRequest
            {
                Teacher = twomoon.With(units: new Units(capacitance, 1e-7, 1.0)),
                TeacherReference = CalibrationStage.Reference(Path.Combine(models, "twomoon", "model.pth"), null),
                TrainingInputs = train,
                HeldOutInputs = fresh,
                Seed = 1,
                AutoVoltageMargin = VoltageScaleStage.DefaultMargin,
                Iterations = iterations,
            }, cells);
            double seconds = watch.Elapsed.TotalSeconds;
            var r = outcome.Record;
            Console.WriteLine($"twomoon fitted cells {key}: {r.Status} after {r.Iterations} iterations, {seconds:F1} s (calibration {r.Seconds:F1} s): {r.Before} -> {r.After}");
            result[key] = new JsonObject
            {
                ["units"] = new JsonObject { ["capacitance"] = capacitance, ["time_unit"] = 1e-7, ["voltage_scale_auto"] = outcome.Design.Units.VoltageScale },
                ["clamped"] = new JsonArray(outcome.Clamped.Select(c => (JsonNode)c).ToArray()),
                ["status"] = r.Status.ToString(),
                ["iterations"] = r.Iterations,
                ["evaluations"] = r.Evaluations,
                ["seconds_total"] = seconds,
                ["seconds_calibration"] = r.Seconds,
                ["loss_start"] = r.Loss[0],
                ["loss_end"] = r.Loss[^1],
                ["before"] = Held(r.Before),
                ["after"] = Held(r.After),
            };
        }
        return result;
    }

    /// <summary>(e): the calibrated transistor circuit against the trained network, per time unit.</summary>
    private static JsonObject CalibratedTransistor(string models, Design twomoon)
    {
        var units = (Environment.GetEnvironmentVariable("BENCH_CALIBRATION_TRANSISTOR_TIME_UNITS") ?? "100n,1u").Split(',', StringSplitOptions.TrimEntries)
            .Select(t => Numbers.ParseEngineering(t) ?? throw new ArgumentException($"BENCH_CALIBRATION_TRANSISTOR_TIME_UNITS: '{t}' is not a time")).ToArray();
        int samples = int.TryParse(Environment.GetEnvironmentVariable("BENCH_CALIBRATION_TRANSISTOR_SAMPLES"), out var s) ? s : 100;
        var train = InputReader.Random(128, 2, 1, RandomInputKind.StandardNormal);
        var heldOut = InputReader.Random(100, 2, 2, RandomInputKind.StandardNormal);
        var fresh = InputReader.Random(samples, 2, 3, RandomInputKind.StandardNormal);
        var cells = new CellStage(null);
        var result = new JsonObject { ["training_cases"] = train.Length, ["fresh_samples"] = samples, ["jobs"] = 2, ["cores"] = Environment.ProcessorCount };
        foreach (var tau in units)
        {
            var watch = Stopwatch.StartNew();
            var outcome = CalibrationStage.Run(new CalibrationRequest
            {
                Teacher = twomoon.With(units: new Units(1e-12, tau, 1.0)),
                TeacherReference = CalibrationStage.Reference(Path.Combine(models, "twomoon", "model.pth"), null),
                TrainingInputs = train,
                HeldOutInputs = heldOut,
                Seed = 1,
                AutoVoltageMargin = VoltageScaleStage.DefaultMargin,
            }, cells);
            double calibrationSeconds = watch.Elapsed.TotalSeconds;
            var trained = twomoon.With(units: outcome.Design.Units);
            JsonObject Transistor(Design built, string what)
            {
                var ranges = OperatingRange.Of(built, fresh);
                var lowered = Lowering.Lower(built, Fidelity.Transistor, cells.Library, ranges);
                var options = VerifyStage.OptionsFor(lowered, VerifyOptions.Default with
                {
                    Spice = SpiceOptions.Default with { MaxStepFraction = 0.05 },
                    Reference = SolverOptions.Dopri5(1e-8),
                });
                var clock = Stopwatch.StartNew();
                var report = new Verifier(trained, options, () => new NgspiceShared(), 2).Run(fresh);
                var summary = report.Summary;
                double seconds = clock.Elapsed.TotalSeconds;
                // issue 15's question of the same circuit: does its macro law (the calibration's student) predict it, sample by sample
                var macro = ReferenceRun.Solve(Lowering.Lower(built, Fidelity.Macro, cells.Library, ranges).Circuit, fresh, SolverOptions.Dopri5(1e-8), []);
                var both = report.Cases.Where(c => c.Circuit is not null && macro.Cases[c.Index] is not null).ToList();
                double macroVsTransistor = both.Count == 0 ? double.NaN : both.Average(c => Metrics.Distance(macro.Cases[c.Index]!.Output, c.Circuit!.Output));
                Console.WriteLine($"twomoon {what} transistor circuit at 1 pF / {tau:G3} s: {summary.Simulated} of {samples} simulated, mean per-sample error " +
                    $"{summary.MeanSampleError:G3} = {100 * summary.MeanSampleError / summary.ReferenceStd:G3} % of the spread {summary.ReferenceStd:G3}; " +
                    $"its macro law {macroVsTransistor:G3} from it ({seconds:F0} s)");
                return new JsonObject
                {
                    ["simulated"] = summary.Simulated,
                    ["mean_per_sample_error"] = summary.MeanSampleError,
                    ["reference_std"] = summary.ReferenceStd,
                    ["of_std"] = summary.MeanSampleError / summary.ReferenceStd,
                    ["max_output_error"] = summary.MaxOutputError,
                    ["macro_vs_transistor_mean_distance"] = macroVsTransistor,
                    ["macro_vs_transistor_of_std"] = macroVsTransistor / summary.ReferenceStd,
                    ["wall_s"] = seconds,
                };
            }
            result[Numbers.Format(tau)] = new JsonObject
            {
                ["voltage_scale_auto"] = outcome.Design.Units.VoltageScale,
                ["student"] = outcome.StudentKind,
                ["calibration_s"] = calibrationSeconds,
                ["iterations"] = outcome.Record.Iterations,
                ["macro_before"] = Held(outcome.Record.Before),
                ["macro_after"] = Held(outcome.Record.After),
                ["transistor_uncalibrated"] = Transistor(trained, "uncalibrated"),
                ["transistor_calibrated"] = Transistor(outcome.Design, "calibrated"),
            };
        }
        return result;
    }

    private static JsonObject Held(HeldOutError h) => new()
    {
        ["cases"] = h.Cases,
        ["mean_sample_error"] = h.MeanSampleError,
        ["teacher_spread"] = h.TeacherSpread,
        ["relative_error"] = h.RelativeError,
        ["max_abs_error"] = h.MaxAbsError,
        ["argmax_kept"] = h.ArgmaxKept,
        ["mean_logit_error"] = h.MeanLogitError,
        ["max_logit_error"] = h.MaxLogitError,
    };
}
