using System.Security.Cryptography;
using KirchhoffHw.Calibration;
using KirchhoffHw.Cells;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Flow;

/// <summary>What to calibrate: the trained network (in the units it is to be built in), where it came from, and the draws.</summary>
public sealed record CalibrationRequest
{
    /// <summary>The trained network as imported, in the calibration's units (capacitance, time unit, voltage scale).</summary>
    public required Design Teacher { get; init; }
    public required TeacherReference TeacherReference { get; init; }
    public required IReadOnlyList<double[]> TrainingInputs { get; init; }
    public required IReadOnlyList<double[]> HeldOutInputs { get; init; }
    public int? Seed { get; init; }

    /// <summary>
    /// `--voltage-scale auto`: the teacher's voltage scale is chosen from its training states by <see cref="VoltageScaleStage"/>,
    /// leaving this fraction of the rails' swing unused; null keeps the teacher's.
    /// </summary>
    public double? AutoVoltageMargin { get; init; }
    public int Iterations { get; init; } = LbfgsOptions.Default.MaxIterations;
    public TimeSpan? TimeBudget { get; init; }

    /// <summary>The student the design is calibrated as; null = the pin-level cells macro fidelity builds (<see cref="PinCellStudentBuilder"/>).</summary>
    public IStudentBuilder? Student { get; init; }
}

/// <summary>The calibrated design (ideal laws, node trims and its calibration note) and the optimizer's record.</summary>
/// <param name="Clamped">Per layer with devices built at a bias limit: how many and how far (the calibration works against it).</param>
/// <param name="VoltageScale">The scale `--voltage-scale auto` chose, or null when the teacher's was kept.</param>
public sealed record CalibrationOutcome(Design Design, CalibrationRecord Record, string StudentKind, IReadOnlyList<string> Clamped,
    VoltageScaleChoice? VoltageScale = null);

/// <summary>
/// Calibration as a stage of the flow: the teacher's reference on the training inputs sets the cells' operating
/// ranges, the student builder turns the teacher into its cell circuit, <see cref="Calibrator"/> fits it back to the
/// teacher, and the result returns to the ideal laws a design file holds, with its note. Refuses, as bad input, a
/// technology that cannot build the trained devices and states the rails cannot hold.
/// </summary>
public static class CalibrationStage
{
    public static CalibrationOutcome Run(CalibrationRequest request, CellStage cells, Action<CalibrationProgress>? progress = null, CancellationToken cancel = default)
    {
        var teacher = request.Teacher;
        if (teacher.NodeTrims is not null || teacher.Calibration is not null)
            throw new KirchhoffHwException(teacher.Name, "the design is already calibrated (it has node trims or a calibration record): calibrate the trained network it came from");
        var tech = cells.Technology;
        var reference = ReferenceRun.Solve(teacher, request.TrainingInputs, SolverOptions.Golden, CellStage.RangeTimes(teacher), cancel: cancel);
        VoltageScaleChoice? scale = null;
        if (request.AutoVoltageMargin is { } margin) (teacher, reference, scale) = VoltageScaleStage.Apply(reference, tech, margin);
        CheckRails(teacher, reference, tech);
        var mapping = cells.Map(reference);
        var clamped = CheckBuildable(teacher, cells.Library, mapping.Ranges);
        var student = (request.Student ?? new PinCellStudentBuilder()).Build(teacher, cells.Library, mapping.Ranges);
        var problem = new CalibrationProblem
        {
            Teacher = teacher,
            Student = student.Circuit,
            TrainingInputs = request.TrainingInputs,
            HeldOutInputs = request.HeldOutInputs,
            Bounds = student.Bounds,
            Trims = student.Trims,
        };
        var options = CalibrationOptions.Default with
        {
            Optimizer = LbfgsOptions.Default with { MaxIterations = request.Iterations },
            TimeBudget = request.TimeBudget,
        };
        var result = Calibrator.Run(problem, options, progress, cancel);
        var record = result.Record;
        if (record.Loss.Any(l => !double.IsFinite(l)))
            throw new KirchhoffHwException(teacher.Name, "calibration produced a non-finite loss; no design was written");
        var note = new CalibrationNote(teacher.Units, tech.Name, tech.Corner, tech.Fingerprint(), student.Kind, request.TeacherReference,
            new CalibrationSummary(Text(record.Status), record.Converged, record.Iterations, record.Evaluations, record.Seconds,
                record.TrainingCases, request.HeldOutInputs.Count, request.Seed, record.FreeParameters, record.Trims,
                record.Loss.ToArray(), Summary(record.Before), Summary(record.After)));
        var design = student.ToDesign(result.Calibrated).WithCalibration(note);
        return new CalibrationOutcome(design, record, student.Kind, clamped, scale);
    }

    /// <summary>
    /// How far a cell's bias may sit from the one its trained device asks for before the design counts as not buildable
    /// in the technology: two orders of magnitude. A device the technology clamps (to its smallest or largest cell) is
    /// built stronger or weaker than trained; within this factor the calibration is run and works against it through the
    /// device's inputs and its node's trim, and the clamp is reported; beyond it the cells are not the trained devices
    /// in any useful sense.
    /// </summary>
    public const double MaxBiasRatio = 100;

    /// <summary>
    /// Refuses, as bad input, a design whose devices the technology can only build at a bias more than
    /// <see cref="MaxBiasRatio"/> from the trained one; returns one line per layer with clamped devices otherwise.
    /// </summary>
    public static IReadOnlyList<string> CheckBuildable(Design design, CellLibrary library, NodeRanges ranges)
    {
        var problems = new List<string>();
        var clamped = new List<string>();
        for (int li = 0; li < design.Layers.Count; li++)
        {
            var layer = design.Layers[li];
            int off = 0, far = 0;
            double worst = 1;
            string? example = null;
            for (int e = 0; e < layer.Edges.Count; e++)
            {
                var p = layer.ParametersOf(e);
                foreach (var size in library.Size(layer.Model, p, design.Units, Lowering.DeviceRange(layer, e, p, ranges.For(li))))
                {
                    if (size.RequiredBias <= 0 || size.BiasCurrent <= 0 || size.Problem is null) continue;
                    double ratio = Math.Max(size.BiasCurrent / size.RequiredBias, size.RequiredBias / size.BiasCurrent);
                    off++;
                    if (ratio > MaxBiasRatio) far++;
                    if (ratio > worst) (worst, example) = (ratio, $"device {e}: {size.Problem}");
                }
            }
            if (far > 0) problems.Add($"layer {li}: {far} of {layer.Edges.Count} {layer.Model.Name} cells would be built more than {MaxBiasRatio:G} times off their trained bias (worst {worst:G3} times, {example})");
            else if (off > 0) clamped.Add($"layer {li}: {off} of {layer.Edges.Count} {layer.Model.Name} cells are built at a bias limit, up to {worst:G3} times their trained current ({example})");
        }
        if (problems.Count > 0)
            throw new KirchhoffHwException(design.Name, $"technology {library.Tech.Name} cannot build this design at C = {design.Units.Capacitance:G3} F, time unit = {design.Units.TimeUnit:G3} s, " +
                $"voltage scale = {design.Units.VoltageScale:G3} V (device current = C x voltage scale / time unit per model unit): {string.Join("; ", problems)}. " +
                "Change the capacitance or the time unit, or use a technology with other bias limits.");
        return clamped;
    }

    /// <summary>The stop reason as the design file spells it.</summary>
    public static string Text(StopReason reason) => reason switch
    {
        StopReason.Converged => "converged",
        StopReason.LossStalled => "loss-stalled",
        StopReason.MaxIterations => "max-iterations",
        StopReason.TimeBudget => "time-budget",
        StopReason.HeldOutStalled => "held-out-stalled",
        StopReason.NoDescent => "no-descent",
        _ => reason.ToString().ToLowerInvariant(),
    };

    private static HeldOutSummary Summary(HeldOutError e) => new(e.MeanSampleError, e.RelativeError, e.MaxAbsError, e.ArgmaxKept);

    /// <summary>
    /// The states must fit the rails at the calibration's voltage scale: a state of the opposite sign to a rail at 0 V
    /// fits at no scale, anything else fits once the scale is small enough (<see cref="VoltageScaleStage"/>).
    /// </summary>
    public static void CheckRails(Design design, ReferenceRun reference, Technology tech)
    {
        var (low, high) = StateExtremes(reference);
        double scale = design.Units.VoltageScale;
        if ((high > 0 && tech.Vdd <= 0) || (low < 0 && tech.Vss >= 0))
            throw new KirchhoffHwException(design.Name, $"the states reach [{low:G4}, {high:G4}] model units, but technology {tech.Name}'s rails [{tech.Vss:G4}, {tech.Vdd:G4}] V " +
                "cannot hold one of those signs at any voltage scale");
        if (high * scale > tech.Vdd || low * scale < tech.Vss)
            throw new KirchhoffHwException(design.Name, $"at {scale:G4} V per unit the states reach [{low * scale:G4}, {high * scale:G4}] V, beyond technology {tech.Name}'s rails " +
                $"[{tech.Vss:G4}, {tech.Vdd:G4}] V: give a smaller --voltage-scale or --voltage-scale auto " +
                $"({VoltageScaleStage.Choose(reference, tech, VoltageScaleStage.DefaultMargin).Volts:G4} V at a {VoltageScaleStage.DefaultMargin:P0} margin)");
    }

    /// <summary>The most negative and most positive node state (model units) the run records: inputs, boundaries and sample times.</summary>
    public static (double Low, double High) StateExtremes(ReferenceRun reference)
    {
        double low = 0, high = 0;
        var design = reference.Design;
        var state = new double[design.NodeCount];
        void Take(IEnumerable<double> s) { foreach (var v in s) { low = Math.Min(low, v); high = Math.Max(high, v); } }
        for (int i = 0; i < reference.Inputs.Count; i++)
        {
            Array.Clear(state);
            design.Input.Apply(reference.Inputs[i], state);
            Take(state);
            if (reference.Cases[i] is not { } c) continue;
            foreach (var b in c.Boundaries) Take(b.State);
            foreach (var t in CellStage.RangeTimes(design)) Take(reference.StateAt(i, t));
        }
        return (low, high);
    }

    /// <summary>
    /// The problem with comparing against the trained network a calibration record names, or null when it can be: the
    /// model file must still exist and hash as it did.
    /// </summary>
    public static string? TeacherProblem(TeacherReference teacher)
    {
        if (!File.Exists(teacher.Model)) return $"the trained network {teacher.Model} it was calibrated against is not found";
        if (teacher.Config is { } c && !File.Exists(c)) return $"the trained network's config {c} is not found";
        var now = Reference(teacher.Model, teacher.Config).ContentHash;
        return now == teacher.ContentHash ? null : $"the trained network {teacher.Model} has changed since the calibration (sha256 {now[..12]}..., recorded {teacher.ContentHash[..Math.Min(12, teacher.ContentHash.Length)]}...)";
    }

    /// <summary>A reference to the trained network: the paths as given and a SHA-256 over the model's and the config's bytes.</summary>
    public static TeacherReference Reference(string model, string? config)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(File.ReadAllBytes(model));
        var effective = config ?? (model.EndsWith(".pth", StringComparison.OrdinalIgnoreCase) ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(model))!, "config.yaml") : null);
        if (effective is not null && File.Exists(effective)) sha.AppendData(File.ReadAllBytes(effective));
        // Full paths: the design file travels to other folders, where a path relative to the calibration's would break.
        return new TeacherReference(Path.GetFullPath(model), config is null ? null : Path.GetFullPath(config), Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant());
    }
}
