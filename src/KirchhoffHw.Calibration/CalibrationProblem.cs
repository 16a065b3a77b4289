using KirchhoffHw.Model;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Calibration;

/// <summary>
/// Bounds of one student layer's parameters, laid out like its <see cref="Layer.Theta"/>: a parameter with
/// lower == upper is fixed, any other is free within [lower, upper].
/// </summary>
public sealed record LayerBounds(double[] Lower, double[] Upper)
{
    public static LayerBounds Fixed(Layer layer) => new((double[])layer.Theta.Clone(), (double[])layer.Theta.Clone());

    /// <summary>
    /// Parameters <paramref name="free"/> (indices into the model's parameter names) free within
    /// x0 +- <paramref name="width"/> (|x0| + the RMS of that parameter over the layer's devices), the rest fixed: a
    /// bound that scales with each device and with its layer, so a parameter trained to 0 can still move.
    /// </summary>
    public static LayerBounds Around(Layer layer, IEnumerable<int> free, double width)
    {
        if (!(width >= 0) || double.IsInfinity(width)) throw new ArgumentOutOfRangeException(nameof(width), "width must be finite and >= 0");
        var lower = (double[])layer.Theta.Clone();
        var upper = (double[])layer.Theta.Clone();
        foreach (int k in free.Distinct())
        {
            if (k < 0 || k >= layer.Model.ParameterCount)
                throw new ArgumentOutOfRangeException(nameof(free), k, $"{layer.Model.Name} has parameters 0..{layer.Model.ParameterCount - 1}");
            layer.BoundAround(k, width, lower, upper);
        }
        return new LayerBounds(lower, upper);
    }
}

/// <summary>
/// One trim current per node (model units, index 0 node 1) within [Lower, Upper], priced in the loss at
/// <see cref="Cost"/> x sum_k (T trim_k)^2 / s^2: T the design's duration, s the teacher's output spread, so a trim
/// that alone would move a node by one spread over the run costs <see cref="Cost"/>.
/// </summary>
public sealed record TrimBounds(double[] Lower, double[] Upper, double Cost)
{
    /// <summary>
    /// +- <paramref name="fraction"/> of the largest total |amplitude| of the devices on each node in any layer (what
    /// the node's cells can push at full scale), for designs whose laws have the affine form.
    /// </summary>
    public static TrimBounds FromDeviceCurrents(Design design, double fraction, double cost)
    {
        var bound = new double[design.NodeCount];
        foreach (var layer in design.Layers)
        {
            var sum = new double[design.NodeCount + 1];
            for (int e = 0; e < layer.Edges.Count; e++)
            {
                double amp = layer.Model.HasAffineForm ? Math.Abs(layer.Model.Affine(layer.ParametersOf(e)).Amplitude) : 1.0;
                sum[layer.Edges.Source[e]] += amp;
                sum[layer.Edges.Destination[e]] += amp;
            }
            for (int k = 0; k < bound.Length; k++) bound[k] = Math.Max(bound[k], fraction * sum[k + 1]);
        }
        return new TrimBounds(bound.Select(b => -b).ToArray(), bound, cost);
    }
}

/// <summary>
/// Weights of the loss terms. Each term is the squared error of a quantity divided by the teacher's variance of that
/// quantity over the training inputs (summed over its components), so weights compare like with like: the outputs,
/// and the full state at every layer boundary (the last boundary holds the outputs too).
/// </summary>
public sealed record LossWeights(double Output = 1.0, double Boundary = 0.1)
{
    public static readonly LossWeights Default = new();
}

/// <summary>
/// What to calibrate: a student (the teacher's topology, time slices, input map and read-out, with device models of
/// its own, for example pin-level cell macro models) fitted to the teacher on <see cref="TrainingInputs"/>, judged on
/// <see cref="HeldOutInputs"/>; free parameters and their ranges in <see cref="Bounds"/>, one per student layer; one
/// trim per node when <see cref="Trims"/> is given.
/// </summary>
public sealed class CalibrationProblem
{
    public required Design Teacher { get; init; }
    public required Design Student { get; init; }
    public required IReadOnlyList<double[]> TrainingInputs { get; init; }
    public required IReadOnlyList<double[]> HeldOutInputs { get; init; }
    public required IReadOnlyList<LayerBounds> Bounds { get; init; }
    public TrimBounds? Trims { get; init; }
    public LossWeights Weights { get; init; } = LossWeights.Default;

    /// <summary>Every problem with the problem at once, as the student's diagnostics.</summary>
    public void Check()
    {
        var (t, s) = (Teacher, Student);
        var where = new SourceLocation(s.Name);
        var found = new List<Diagnostic>();
        void Add(string m) => found.Add(new Diagnostic(where, m));
        if (t.NodeCount != s.NodeCount) Add($"student has {s.NodeCount} nodes, teacher {t.Name} {t.NodeCount}");
        if (t.Layers.Count != s.Layers.Count) Add($"student has {s.Layers.Count} layers, teacher {t.Name} {t.Layers.Count}");
        for (int l = 0; l < Math.Min(t.Layers.Count, s.Layers.Count); l++)
        {
            var (a, b) = (t.Layers[l], s.Layers[l]);
            if (a.TStart != b.TStart || a.TEnd != b.TEnd) Add($"layer {l}: student slice [{b.TStart}, {b.TEnd}] differs from the teacher's [{a.TStart}, {a.TEnd}]");
            if (!a.Edges.Source.AsSpan().SequenceEqual(b.Edges.Source) || !a.Edges.Destination.AsSpan().SequenceEqual(b.Edges.Destination))
                Add($"layer {l}: student devices do not connect the teacher's node pairs in the teacher's order");
        }
        if (t.Input != s.Input) Add($"student input map {s.Input} differs from the teacher's {t.Input}");
        if (!t.OutputNodes.AsSpan().SequenceEqual(s.OutputNodes)) Add($"student read-out {s.Readout} differs from the teacher's {t.Readout}");
        if (TrainingInputs.Count == 0) Add("no training inputs");
        foreach (var (name, set) in new[] { ("training", TrainingInputs), ("held-out", HeldOutInputs) })
            for (int i = 0; i < set.Count; i++)
                if (set[i] is null || set[i].Length > t.NodeCount || set[i].Any(v => !double.IsFinite(v)))
                {
                    Add($"{name} input {i} is not a finite vector of at most {t.NodeCount} values");
                    break;
                }
        if (Bounds.Count != s.Layers.Count) Add($"bounds are given for {Bounds.Count} layers, the student has {s.Layers.Count}");
        for (int l = 0; l < Math.Min(Bounds.Count, s.Layers.Count); l++)
        {
            var (b, theta) = (Bounds[l], s.Layers[l].Theta);
            if (b.Lower.Length != theta.Length || b.Upper.Length != theta.Length)
            {
                Add($"layer {l}: bounds need {theta.Length} values (parameters x devices)");
                continue;
            }
            for (int k = 0; k < theta.Length; k++)
                if (!(b.Lower[k] <= b.Upper[k]) || double.IsNaN(b.Lower[k]) || double.IsNaN(b.Upper[k]))
                {
                    Add($"layer {l}: bounds of parameter {s.Layers[l].Model.ParameterNames[k / Math.Max(1, s.Layers[l].Edges.Count)]} of device {k % Math.Max(1, s.Layers[l].Edges.Count)} are [{b.Lower[k]}, {b.Upper[k]}]");
                    break;
                }
        }
        if (Trims is { } tr)
        {
            if (tr.Lower.Length != s.NodeCount || tr.Upper.Length != s.NodeCount) Add($"trim bounds need {s.NodeCount} values, one per node");
            else if (Enumerable.Range(0, s.NodeCount).Any(k => !(tr.Lower[k] <= tr.Upper[k]) || !double.IsFinite(tr.Lower[k]) || !double.IsFinite(tr.Upper[k])))
                Add("trim bounds must be finite with lower <= upper");
            if (!(tr.Cost >= 0) || double.IsInfinity(tr.Cost)) Add($"trim cost must be finite and >= 0, got {tr.Cost}");
        }
        if (!(Weights.Output >= 0 && Weights.Boundary >= 0) || double.IsInfinity(Weights.Output) || double.IsInfinity(Weights.Boundary) || Weights.Output + Weights.Boundary == 0)
            Add($"loss weights must be finite, >= 0 and not both 0, got output {Weights.Output}, boundary {Weights.Boundary}");
        if (found.Count > 0) throw new KirchhoffHwException(found);
    }
}

/// <summary>How the calibration solves and stops. Tolerances: the teacher tighter than the student, whose gradient is exact for its own steps.</summary>
public sealed record CalibrationOptions
{
    public static readonly CalibrationOptions Default = new();

    /// <summary>The student's solver; null for Dopri5 at 1e-6 on batches sized to the design (<see cref="StudentSolverFor"/>).</summary>
    public SolverOptions? StudentSolver { get; init; }
    public SolverOptions TeacherSolver { get; init; } = SolverOptions.Dopri5(1e-9);
    public SensitivityOptions Sensitivity { get; init; } = SensitivityOptions.Default;
    public LbfgsOptions Optimizer { get; init; } = LbfgsOptions.Default;
    /// <summary>Wall-clock budget; the run stops with <see cref="StopReason.TimeBudget"/> and the best point so far.</summary>
    public TimeSpan? TimeBudget { get; init; }
    /// <summary>
    /// Dopri5 at rtol = atol = <see cref="StudentTolerance"/> with as many lanes as keep a batch's state near 4,096 values,
    /// between 16 and 64: a small design's cost is per-device overhead that wide batches share, a large one's is memory.
    /// </summary>
    public SolverOptions StudentSolverFor(Design student) =>
        StudentSolver ?? SolverOptions.Dopri5(StudentTolerance) with { ChunkSize = Math.Clamp(4096 / (student.NodeCount + 1), 16, 64) };

    /// <summary>
    /// The student's tolerance while it learns: its gradient is exact for the steps it takes, so a looser solve only
    /// moves the optimum by the solver's own error, two decades below the 1 %-of-spread errors a calibration reaches
    /// (the held-out error before and after is judged two decades tighter). 1e-6 cost 2.4x the time for no
    /// better held-out error.
    /// </summary>
    public const double StudentTolerance = 1e-4;

    /// <summary>
    /// The sensitivity options for <paramref name="cases"/> training cases: unless a block size is set, about a quarter of
    /// the cases per block (whole batches), so up to four threads share the work; a function of the cases alone, so
    /// the result does not depend on the machine.
    /// </summary>
    public SensitivityOptions SensitivityFor(int cases, SolverOptions solver)
    {
        if (Sensitivity.BlockSize > 0) return Sensitivity;
        int w = solver.ChunkSize, quarter = (cases + 3) / 4;
        return Sensitivity with { BlockSize = Math.Max(w, (quarter + w - 1) / w * w) };
    }

    /// <summary>
    /// Held-out error every this many iterations for the progress report (0: only before and after). Solving the
    /// held-out draw costs about as much as a gradient, so every iteration would double a calibration's time.
    /// </summary>
    public int HeldOutEvery { get; init; } = 10;

    /// <summary>
    /// Stop when this many held-out checks in a row (every <see cref="HeldOutEvery"/> iterations) fail to lower the best
    /// held-out error by <see cref="HeldOutImprovement"/> (0: never). The training loss keeps falling long after the
    /// circuit's error on fresh inputs has stopped following it; those iterations buy nothing a designer can measure.
    /// </summary>
    public int HeldOutPatience { get; init; } = 3;

    /// <summary>The relative improvement of the held-out error that counts as progress for <see cref="HeldOutPatience"/>.</summary>
    public double HeldOutImprovement { get; init; } = 0.02;
}
