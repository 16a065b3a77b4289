using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KirchhoffHw.Cells;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Reference;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Flow;

/// <summary>One imperfection at one strength: what the task kept.</summary>
public sealed record TolerancePoint(Imperfection Kind, double Strength, bool Holds, double? ArgmaxAgreement,
    double MaxOutputError, double? MeanSampleError, double? ReferenceStd, double Seconds);

/// <summary>
/// What a trained network tolerates of its cells: per imperfection, the largest strength at which the task still
/// holds (every class kept; or mean per-sample error within 5 % of the reference std; or outputs within the
/// tolerance). This is the specification a cell has to meet before transistor work is worth doing.
/// </summary>
public sealed record ToleranceResult(string Design, TaskKind Task, string Inputs, int Cases, int Seed, string Criterion,
    string Solver, double ReferenceSeconds, IReadOnlyList<TolerancePoint> Points)
{
    /// <summary>What the characterized cells deliver, when the analysis was given a technology: null otherwise.</summary>
    public CellsPoint? Cells { get; init; }

    /// <summary>Seconds per model time unit of the design analysed: what a lag strength is in physical time.</summary>
    public double TimeUnit { get; init; } = 1;

    /// <summary>Largest strength tried that holds with every smaller one holding too; null when the smallest fails.</summary>
    public double? Tolerated(Imperfection kind)
    {
        double? best = null;
        foreach (var p in Points.Where(p => p.Kind == kind).OrderBy(p => p.Strength))
        {
            if (!p.Holds) break;
            best = p.Strength;
        }
        return best;
    }

    public IEnumerable<Imperfection> Kinds => Points.Select(p => p.Kind).Distinct();

    /// <summary>The sweep as JSON: per imperfection its model, the tolerated strength (null: below the smallest tried) and its points.</summary>
    public JsonObject ToJson()
    {
        var kinds = new JsonArray();
        foreach (var kind in Kinds)
            kinds.Add(new JsonObject
            {
                ["name"] = Tolerances.Name(kind),
                ["model"] = Tolerances.Describe(kind),
                ["tolerated"] = Tolerated(kind),
                ["tolerated_seconds"] = kind == Imperfection.Lag ? Tolerated(kind) * TimeUnit : null,
                ["points"] = new JsonArray(Points.Where(p => p.Kind == kind).Select(p => (JsonNode)new JsonObject
                {
                    ["strength"] = p.Strength,
                    ["holds"] = p.Holds,
                    ["argmax_agreement"] = p.ArgmaxAgreement,
                    ["max_output_error"] = p.MaxOutputError,
                    ["mean_sample_error"] = p.MeanSampleError,
                    ["reference_std"] = p.ReferenceStd,
                    ["seconds"] = p.Seconds,
                }).ToArray()),
            });
        var result = new JsonObject
        {
            ["design"] = Design,
            ["task"] = Task.ToString().ToLowerInvariant(),
            ["inputs"] = Inputs,
            ["cases"] = Cases,
            ["seed"] = Seed,
            ["criterion"] = Criterion,
            ["solver"] = Solver,
            ["reference_s"] = ReferenceSeconds,
            ["imperfections"] = kinds,
        };
        if (Cells is { } c)
            result["cells"] = new JsonObject
            {
                ["technology"] = c.Technology,
                ["model"] = c.Model,
                ["voltage_scale"] = c.VoltageScale,
                ["holds"] = c.Holds,
                ["argmax_agreement"] = c.ArgmaxAgreement,
                ["max_output_error"] = c.MaxOutputError,
                ["mean_sample_error"] = c.MeanSampleError,
                ["reference_std"] = c.ReferenceStd,
                ["seconds"] = c.Seconds,
                ["figures"] = new JsonArray(c.Figures.Select(f => (JsonNode)new JsonObject
                {
                    ["cell"] = f.Cell,
                    ["mismatch_at_balance_percent"] = f.MismatchAtBalancePercent,
                    ["max_mismatch_percent"] = f.MaxMismatchPercent,
                    ["to_conductance_per_volt"] = f.ToConductance,
                    ["from_conductance_per_volt"] = f.FromConductance,
                    ["max_to_conductance_per_volt"] = f.MaxToConductance,
                    ["max_from_conductance_per_volt"] = f.MaxFromConductance,
                    ["swing_volts"] = f.SwingVolts,
                }).ToArray()),
                ["unit_figures"] = new JsonArray(c.UnitFigures.Select(f => (JsonNode)new JsonObject
                {
                    ["cell"] = f.Cell, ["figure"] = f.Figure, ["value"] = f.Value, ["unit"] = f.Unit, ["source"] = f.Source,
                }).ToArray()),
            };
        return result;
    }

    public void Write(string path) =>
        AtomicFile.WriteAllText(path, ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}

/// <summary>The design solved on its pin-level cells (<see cref="Lowering.PinMacro"/>) at its units, judged as the imperfections are.</summary>
/// <param name="Model">What the cells' law is, as the JSON and the console state it.</param>
/// <param name="Figures">The per-device cells' output figures (designs the v2 deck does not build; empty otherwise).</param>
/// <param name="UnitFigures">The v2 unit's measured figures (designs the v2 deck builds; empty otherwise).</param>
public sealed record CellsPoint(string Technology, double VoltageScale, bool Holds, double? ArgmaxAgreement, double MaxOutputError,
    double? MeanSampleError, double? ReferenceStd, double Seconds, string Model, IReadOnlyList<OutputFigures> Figures, IReadOnlyList<CellFigure> UnitFigures);

public static class ToleranceAnalysis
{
    public static readonly IReadOnlyList<double> DefaultStrengths = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1];

    /// <summary>Tolerance for outputs of regression designs (model units), as the verifier's default.</summary>
    public const double RegressionTolerance = 1e-3;

    /// <summary>
    /// Solves the ideal design once, then each imperfection at each strength (ascending; a kind stops at its first
    /// failure, since larger strengths only fail harder). Device ranges U come from the reference on the inputs,
    /// as the cells' sizing does. The knee is skipped for designs without a rectified part.
    /// </summary>
    public static ToleranceResult Run(Design design, IReadOnlyList<double[]> inputs, string origin, IEnumerable<Imperfection> kinds,
        IReadOnlyList<double> strengths, SolverOptions solver, int seed, Action<int, int, string>? progress = null, CancellationToken cancel = default,
        IReferenceSolver? solvers = null, CellLibrary? cells = null)
    {
        if (inputs.Count == 0) throw new KirchhoffHwException("<options>", "the tolerance analysis needs inputs: give --inputs FILE or --random N");
        Tolerances.Check(design);
        var reference = ReferenceRun.Solve(design, inputs, solver, CellStage.RangeTimes(design), solvers, cancel);
        var ranges = CellStage.Ranges(reference);
        bool rectifiers = design.Layers.Any(l => CellKind.For(l.Model).Parts.Any(p => p.Topology.ShapeOf(p.Operation) == Model.Devices.Shape.Relu));
        var todo = kinds.Distinct().Where(k => k != Imperfection.Knee || rectifiers).ToList();
        var sorted = strengths.Distinct().OrderBy(s => s).ToList();
        var points = new List<TolerancePoint>();
        int done = 0, total = todo.Count * sorted.Count;
        foreach (var kind in todo)
        {
            var swept = Sweep(design, reference, ranges, kind, sorted, seed, solvers, p => progress?.Invoke(++done, total,
                string.Create(CultureInfo.InvariantCulture, $"{Tolerances.Name(kind)} {p.Strength:G3}: {(p.Holds ? "holds" : "fails")}")), cancel);
            points.AddRange(swept);
            done += sorted.Count - swept.Count;
        }
        string solverText = string.Create(CultureInfo.InvariantCulture, $"Dormand-Prince rtol = {solver.RelTol:G3}, atol = {solver.AbsTol:G3}, both laws");
        CellsPoint? measured = null;
        if (cells is not null)
        {
            // the cells as characterized, sized over the same ranges: where they stand against what the network tolerates
            var cmp = SoftwareComparison.Against(reference, Lowering.PinMacro(design, cells, ranges), "macro", solvers, cancel);
            bool v2 = RegulatedNetlist.Builds(design);
            string model = v2 ? $"v2 cells' pin law (the transistor deck's cells, drivers' curve included); {RegulatedFamily.LagIn(design).Note}"
                : "pin-level macro: every device as its characterized cell, each pin at its own voltage";
            measured = new CellsPoint(cells.Tech.Name, design.Units.VoltageScale, TaskRule.Holds(cmp, RegressionTolerance, GenerationRelativeError),
                cmp.ArgmaxAgreement, cmp.MaxOutputError, cmp.MeanSampleError, cmp.ReferenceStd, cmp.CircuitSeconds, model,
                v2 ? [] : cells.Figures.Values.ToList(), v2 ? RegulatedFamily.Figures() : []);
        }
        return new ToleranceResult(design.Name, design.Task, origin, inputs.Count, seed, Criterion(design.Task), solverText, reference.Elapsed.TotalSeconds, points)
        {
            Cells = measured,
            TimeUnit = design.Units.TimeUnit,
        };
    }

    /// <summary>
    /// One imperfection at each strength of <paramref name="sorted"/> (ascending) against <paramref name="reference"/>,
    /// up to and including its first failure. A lag keeps the trained laws and gives the solver the lag.
    /// </summary>
    private static List<TolerancePoint> Sweep(Design design, ReferenceRun reference, NodeRanges? ranges, Imperfection kind, IReadOnlyList<double> sorted,
        int seed, IReferenceSolver? solvers, Action<TolerancePoint>? each, CancellationToken cancel)
    {
        var points = new List<TolerancePoint>();
        foreach (var s in sorted)
        {
            var cmp = kind == Imperfection.Lag
                ? SoftwareComparison.Against(reference, design, Tolerances.Name(kind), new LaggedSolver(s), cancel)
                : SoftwareComparison.Against(reference, Tolerances.Apply(design, ranges!, kind, s, seed), Tolerances.Name(kind), solvers, cancel);
            bool holds = TaskRule.Holds(cmp, RegressionTolerance, GenerationRelativeError);
            var point = new TolerancePoint(kind, s, holds, cmp.ArgmaxAgreement, cmp.MaxOutputError, cmp.MeanSampleError, cmp.ReferenceStd, cmp.CircuitSeconds);
            points.Add(point);
            each?.Invoke(point);
            if (!holds) break;
        }
        return points;
    }

    /// <summary>Decades of lag (time units) the report's budget starts from, then refines between the last that holds and the first that fails.</summary>
    private static readonly double[] LagDecades = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1];

    /// <summary>
    /// The largest first-order lag (model time units, <see cref="Imperfection.Lag"/>) at which the task holds on the
    /// first <paramref name="maxCases"/> inputs, to within a factor of about 2 (a decade, then 2 and 5 times its
    /// start); 0 when even 1e-5 fails, and 0.1 when every decade holds.
    /// </summary>
    public static double LagBudget(Design design, IReadOnlyList<double[]> inputs, int maxCases = 4, CancellationToken cancel = default)
    {
        var some = inputs.Take(maxCases).ToList();
        var reference = ReferenceRun.Solve(design, some, SolverOptions.Dopri5(1e-6), [], cancel: cancel);
        // a sweep ends at its first failure, so what holds is every strength before it
        double? Tolerated(double[] lags) => Sweep(design, reference, null, Imperfection.Lag, lags, 0, null, null, cancel).LastOrDefault(p => p.Holds)?.Strength;
        if (Tolerated(LagDecades) is not { } held) return 0;
        if (held >= LagDecades[^1]) return held;
        return Tolerated([2 * held, 5 * held]) ?? held;
    }

    /// <summary>Generative models: mean per-sample error allowed, as a fraction of the reference samples' std (as the verifier's default).</summary>
    public static readonly double GenerationRelativeError = VerifyOptions.Default.GenerationRelativeError;

    public static string Criterion(TaskKind task) => TaskRule.Describe(task, RegressionTolerance, GenerationRelativeError);
}
