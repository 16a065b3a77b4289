using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KirchhoffHw.Cells;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Reference;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Report;

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
        return new JsonObject
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
    }

    public void Write(string path) =>
        AtomicFile.WriteAllText(path, ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}

public static class ToleranceAnalysis
{
    public static readonly IReadOnlyList<double> DefaultStrengths = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1];

    /// <summary>Tolerance for outputs of regression designs (model units), as the verifier's default.</summary>
    public const double RegressionTolerance = 1e-3;

    /// <summary>
    /// Solves the ideal design once, then each imperfection at each strength (ascending; a kind stops at its first
    /// failure, since larger strengths only fail harder). Device ranges U come from the reference on the inputs,
    /// as the cells' sizing does. The knee is skipped for designs without a rectifier part.
    /// </summary>
    public static ToleranceResult Run(Design design, IReadOnlyList<double[]> inputs, string origin, IEnumerable<Imperfection> kinds,
        IReadOnlyList<double> strengths, SolverOptions solver, int seed, Action<int, int, string>? progress = null, CancellationToken cancel = default)
    {
        if (inputs.Count == 0) throw new KirchhoffHwException("<options>", "the tolerance analysis needs inputs: give --inputs FILE or --random N");
        Tolerances.Check(design);
        var ranges = OperatingRange.Of(design, inputs);
        var reference = ReferenceSolver.Solve(design, inputs, solver, cancel: cancel);
        bool rectifiers = design.Layers.Any(l => CellKind.For(l.Model).Parts.Any(p => p.Topology == Topology.Rectifier));
        var todo = kinds.Distinct().Where(k => k != Imperfection.Knee || rectifiers).ToList();
        var sorted = strengths.Distinct().OrderBy(s => s).ToList();
        var points = new List<TolerancePoint>();
        int done = 0, total = todo.Count * sorted.Count;
        foreach (var kind in todo)
        {
            foreach (var s in sorted)
            {
                var perturbed = Tolerances.Apply(design, ranges, kind, s, seed);
                var cmp = SoftwareComparison.Against(design, reference, perturbed, Tolerances.Name(kind), inputs, solver, cancel);
                bool holds = Holds(design.Task, cmp);
                points.Add(new TolerancePoint(kind, s, holds, cmp.ArgmaxAgreement, cmp.MaxOutputError, cmp.MeanSampleError, cmp.ReferenceStd, cmp.CircuitSeconds));
                progress?.Invoke(++done, total, string.Create(CultureInfo.InvariantCulture, $"{Tolerances.Name(kind)} {s:G3}: {(holds ? "holds" : "fails")}"));
                if (!holds) { done += sorted.Count - sorted.IndexOf(s) - 1; break; }
            }
        }
        string solverText = string.Create(CultureInfo.InvariantCulture, $"Dormand-Prince rtol = {solver.RelTol:G3}, atol = {solver.AbsTol:G3}, both laws");
        return new ToleranceResult(design.Name, design.Task, origin, inputs.Count, seed, Criterion(design.Task), solverText, reference.Elapsed.TotalSeconds, points);
    }

    public static string Criterion(TaskKind task) => task switch
    {
        TaskKind.Classification => "every input keeps the reference's class (argmax)",
        TaskKind.Generation => "mean per-sample error <= 5 % of the reference samples' std",
        _ => string.Create(CultureInfo.InvariantCulture, $"every output within {RegressionTolerance:G} model units"),
    };

    private static bool Holds(TaskKind task, SoftwareComparison c) => task switch
    {
        TaskKind.Classification => c.ArgmaxDisagreements == 0,
        TaskKind.Generation => c.MeanSampleError <= 0.05 * c.ReferenceStd,
        _ => c.MaxOutputError <= RegressionTolerance,
    };
}
