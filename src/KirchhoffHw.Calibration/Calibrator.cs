using System.Diagnostics;
using System.Globalization;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Calibration;

/// <summary>
/// Fits a student circuit to its teacher: minimizes, over the student's free parameters (per device, within bounds) and
/// one trim current per node, mean over training inputs x of
/// w_out ||F_student(x) - F_teacher(x)||^2 / V_out + sum over boundaries l of w_b ||S_l(x) - T_l(x)||^2 / V_l
/// plus the trims' cost (<see cref="TrimBounds"/>), V the teacher's variance of each quantity over the training
/// inputs (<see cref="LossWeights"/>). Gradients come from <see cref="Sensitivities"/>, the minimizer is
/// <see cref="ProjectedLbfgs"/> on variables scaled to their bounds. Deterministic: the same problem and options give
/// the same bits whatever the thread count.
/// </summary>
public static class Calibrator
{
    public static CalibrationResult Run(CalibrationProblem problem, CalibrationOptions? options = null,
        Action<CalibrationProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var o = options ?? CalibrationOptions.Default;
        problem.Check();
        var watch = Stopwatch.StartNew();
        var teacher = problem.Teacher;
        var student = problem.Student;

        var train = ReferenceSolver.Solve(teacher, problem.TrainingInputs, o.TeacherSolver, cancel: cancel);
        var heldTeacher = ReferenceSolver.Solve(teacher, problem.HeldOutInputs, o.TeacherSolver, cancel: cancel).Cases.Select(c => c.Output).ToArray();
        double teacherSeconds = watch.Elapsed.TotalSeconds;
        TimeSpan forward = default, backward = default, gradients = default, heldOutTime = default;
        var loss = new TeacherLoss(teacher, train, problem.Weights);
        var vars = new Variables(student, problem.Bounds, problem.Trims);
        var solver = o.StudentSolverFor(student);
        var sensitivity = o.SensitivityFor(problem.TrainingInputs.Count, solver);
        double trimScale = problem.Trims is null ? 0 : problem.Trims.Cost * teacher.TEnd * teacher.TEnd / loss.OutputVariancePerNode;

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        if (o.TimeBudget is { } b) budget.CancelAfter(b > watch.Elapsed ? b - watch.Elapsed : TimeSpan.Zero);

        // progress is judged with the student's own solver; before and after, which the record keeps, two decades tighter
        var judge = solver with { RelTol = solver.RelTol / 100, AbsTol = solver.AbsTol / 100 };
        HeldOutError HeldOut(Design d, SolverOptions s)
        {
            long start = Stopwatch.GetTimestamp();
            var error = HeldOutError.Of(teacher.Task, heldTeacher,
                ReferenceSolver.Solve(d, problem.HeldOutInputs, s, cancel: cancel).Cases.Select(c => c.Output).ToArray());
            heldOutTime += Stopwatch.GetElapsedTime(start);
            return error;
        }

        var before = HeldOut(student, judge);
        var z0 = new double[vars.Count];
        double[] bestZ = z0;
        var losses = new List<double>();
        int evaluations = 0;

        Evaluation Evaluate(double[] z)
        {
            var design = vars.Design(z);
            SensitivityResult r;
            try
            {
                r = Sensitivities.Solve(design, problem.TrainingInputs, loss.Case, solver, sensitivity, budget.Token);
            }
            catch (KirchhoffHwException e)
            {
                throw new ProjectedLbfgs.ObjectiveFailedException(e.Message, e);
            }
            evaluations++;
            forward += r.ForwardTime;
            backward += r.BackwardTime;
            gradients += r.Elapsed;
            var trims = vars.Trims(z);
            double value = r.Loss;
            var trimGradient = (double[])r.TrimGradient.Clone();
            if (trims is not null)
                for (int k = 0; k < trims.Length; k++)
                {
                    value += trimScale * trims[k] * trims[k];
                    trimGradient[k] += 2 * trimScale * trims[k];
                }
            return new Evaluation(value, vars.Gradient(r.ThetaGradients, trimGradient));
        }

        StopReason status;
        // early stopping: the held-out error of the progress checks, against the best so far
        double bestHeld = double.PositiveInfinity;
        int stalls = 0;
        try
        {
            var result = ProjectedLbfgs.Minimize(Evaluate, z0, vars.Lower, vars.Upper, o.Optimizer,
                it =>
                {
                    bestZ = it.X;
                    losses.Add(it.Loss);
                    var held = it.Index == 0 ? before : o.HeldOutEvery > 0 && it.Index % o.HeldOutEvery == 0 ? HeldOut(vars.Design(it.X), solver) : null;
                    if (held is not null && it.Index > 0)
                    {
                        if (held.MeanSampleError < bestHeld * (1 - o.HeldOutImprovement)) (bestHeld, stalls) = (held.MeanSampleError, 0);
                        else stalls++;
                    }
                    progress?.Invoke(new CalibrationProgress(it.Index, it.Loss, held, evaluations, watch.Elapsed));
                },
                () => budget.IsCancellationRequested ? StopReason.TimeBudget
                    : o.HeldOutPatience > 0 && stalls >= o.HeldOutPatience ? StopReason.HeldOutStalled : null);
            status = result.Reason;
            bestZ = result.X;
        }
        catch (ProjectedLbfgs.NonFiniteException e)
        {
            throw NonFinite(e, vars);
        }
        catch (ProjectedLbfgs.ObjectiveFailedException e) when (losses.Count == 0)
        {
            throw new KirchhoffHwException(student.Name, $"the student cannot be solved at its starting parameters: {e.Message}", e);
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested && !cancel.IsCancellationRequested)
        {
            status = StopReason.TimeBudget;
        }

        var calibrated = vars.Design(bestZ);
        var after = HeldOut(calibrated, judge);
        var record = new CalibrationRecord(status, Math.Max(0, losses.Count - 1), evaluations, losses, before, after, watch.Elapsed.TotalSeconds,
            vars.FreeParameters, vars.TrimCount, vars.AtBounds(bestZ, parameters: true), vars.AtBounds(bestZ, parameters: false), problem.Weights, problem.Trims?.Cost ?? 0, problem.TrainingInputs.Count, teacher.Name)
        {
            Times = new CalibrationTimes(teacherSeconds, forward.TotalSeconds, backward.TotalSeconds, gradients.TotalSeconds, heldOutTime.TotalSeconds),
        };
        return new CalibrationResult(calibrated, record);
    }

    private static KirchhoffHwException NonFinite(ProjectedLbfgs.NonFiniteException e, Variables vars)
    {
        string why = e.InnerException is { } inner ? $"the student could not be solved ({inner.Message})" : $"the loss is {e.Value.ToString("R", CultureInfo.InvariantCulture)}";
        string what = e.Variable >= 0 ? $"first non-finite parameter or gradient: {vars.Describe(e.Variable, e.X)}" : $"last step {vars.Largest(e.X)}";
        return new KirchhoffHwException(vars.StudentName, $"calibration iteration {e.Iteration}: {why}; {what}", e);
    }

    /// <summary>The loss against the teacher's trajectories on the training inputs, per case, with its boundary gradients.</summary>
    private sealed class TeacherLoss
    {
        private readonly CaseResult[] _teacher;
        private readonly int[] _outputNodes;
        private readonly double _outputWeight;
        private readonly double[] _boundaryWeight;

        public double OutputVariancePerNode { get; }

        public TeacherLoss(Design teacher, ReferenceResult train, LossWeights weights)
        {
            _teacher = train.Cases.ToArray();
            _outputNodes = teacher.OutputNodes;
            int m = _teacher.Length;
            double outVar = Variance(_teacher.Select(c => c.Output).ToArray());
            OutputVariancePerNode = outVar / Math.Max(1, _outputNodes.Length);
            _outputWeight = weights.Output / outVar / m;
            _boundaryWeight = Enumerable.Range(0, teacher.Layers.Count)
                .Select(l => weights.Boundary / Variance(_teacher.Select(c => c.Boundaries[l].State).ToArray()) / m).ToArray();
        }

        /// <summary>
        /// Total variance (sum over components) of a set of vectors; a quantity that does not vary over the inputs falls
        /// back to its mean square, and to 1 if that is zero too, so a weight never divides by zero.
        /// </summary>
        private static double Variance(double[][] v)
        {
            if (v.Length == 0) return 1;
            int d = v[0].Length;
            double total = 0, square = 0;
            for (int j = 0; j < d; j++)
            {
                double mean = v.Average(x => x[j]);
                total += v.Average(x => (x[j] - mean) * (x[j] - mean));
                square += v.Average(x => x[j] * x[j]);
            }
            return total > 1e-300 ? total : square > 1e-300 ? square : 1.0;
        }

        public double Case(int i, CaseResult student, double[][] gradient)
        {
            var t = _teacher[i];
            double loss = 0;
            for (int l = 0; l < gradient.Length; l++)
            {
                var (s, r) = (student.Boundaries[l].State, t.Boundaries[l].State);
                double w = _boundaryWeight[l];
                for (int k = 0; k < s.Length; k++)
                {
                    double d = s[k] - r[k];
                    loss += w * d * d;
                    gradient[l][k] += 2 * w * d;
                }
            }
            var last = gradient[^1];
            for (int j = 0; j < _outputNodes.Length; j++)
            {
                double d = student.Output[j] - t.Output[j];
                loss += _outputWeight * d * d;
                last[_outputNodes[j] - 1] += 2 * _outputWeight * d;
            }
            return loss;
        }
    }

    /// <summary>
    /// The free parameters and trims as one vector of scaled variables z: x = x0 + s z with s half the bound's width,
    /// so every variable's bounds are of order 1 and the optimizer's first step and curvature estimate do not depend on
    /// a parameter's units.
    /// </summary>
    private sealed class Variables
    {
        private readonly Design _student;
        private readonly (int Layer, int Index)[] _free;
        private readonly double[] _x0, _scale;
        private readonly int _trims;

        public double[] Lower { get; }
        public double[] Upper { get; }
        public int Count => _x0.Length;
        public int FreeParameters => _free.Length;
        public int TrimCount => _trims;
        public string StudentName => _student.Name;

        public Variables(Design student, IReadOnlyList<LayerBounds> bounds, TrimBounds? trims)
        {
            _student = student;
            var free = new List<(int, int)>();
            var x0 = new List<double>();
            var lo = new List<double>();
            var hi = new List<double>();
            for (int l = 0; l < student.Layers.Count; l++)
                for (int k = 0; k < student.Layers[l].Theta.Length; k++)
                    if (bounds[l].Lower[k] < bounds[l].Upper[k])
                    {
                        free.Add((l, k));
                        x0.Add(Math.Clamp(student.Layers[l].Theta[k], bounds[l].Lower[k], bounds[l].Upper[k]));
                        lo.Add(bounds[l].Lower[k]);
                        hi.Add(bounds[l].Upper[k]);
                    }
            _free = [.. free];
            if (trims is not null)
            {
                _trims = student.NodeCount;
                for (int k = 0; k < _trims; k++)
                {
                    x0.Add(Math.Clamp(student.NodeTrims?[k] ?? 0.0, trims.Lower[k], trims.Upper[k]));
                    lo.Add(trims.Lower[k]);
                    hi.Add(trims.Upper[k]);
                }
            }
            _x0 = [.. x0];
            _scale = new double[_x0.Length];
            Lower = new double[_x0.Length];
            Upper = new double[_x0.Length];
            for (int i = 0; i < _x0.Length; i++)
            {
                double width = hi[i] - lo[i];
                _scale[i] = double.IsFinite(width) && width > 0 ? width / 2 : Math.Max(1.0, Math.Abs(_x0[i]));
                Lower[i] = (lo[i] - _x0[i]) / _scale[i];
                Upper[i] = (hi[i] - _x0[i]) / _scale[i];
            }
        }

        private double X(double[] z, int i) => _x0[i] + _scale[i] * z[i];

        public double[]? Trims(double[] z) => _trims == 0 ? null : Enumerable.Range(_free.Length, _trims).Select(i => X(z, i)).ToArray();

        public Design Design(double[] z)
        {
            var thetas = _student.Layers.Select(l => (double[])l.Theta.Clone()).ToArray();
            for (int i = 0; i < _free.Length; i++) thetas[_free[i].Layer][_free[i].Index] = X(z, i);
            var layers = _student.Layers.Select((l, li) => new Layer(l.TStart, l.TEnd, l.Model, l.Edges, thetas[li])).ToList();
            var d = _student.With(layers: layers);
            return _trims == 0 ? d : d.WithNodeTrims(Trims(z));
        }

        public double[] Gradient(IReadOnlyList<double[]> theta, double[] trims)
        {
            var g = new double[Count];
            for (int i = 0; i < _free.Length; i++) g[i] = _scale[i] * theta[_free[i].Layer][_free[i].Index];
            for (int k = 0; k < _trims; k++) g[_free.Length + k] = _scale[_free.Length + k] * trims[k];
            return g;
        }

        /// <summary>How many free parameters (or trims) end on one of their bounds.</summary>
        public int AtBounds(double[] z, bool parameters)
        {
            int count = 0;
            for (int i = parameters ? 0 : _free.Length; i < (parameters ? _free.Length : Count); i++)
                if (z[i] <= Lower[i] || z[i] >= Upper[i]) count++;
            return count;
        }

        /// <summary>The variable that moved farthest from its start, relative to its bound.</summary>
        public string Largest(double[] z)
        {
            int best = 0;
            for (int i = 1; i < z.Length; i++) if (Math.Abs(z[i]) > Math.Abs(z[best])) best = i;
            return z.Length == 0 ? "(no variables)" : $"moved {Describe(best, z)} farthest";
        }

        public string Describe(int i, double[] z)
        {
            string value = double.IsFinite(z[i]) ? X(z, i).ToString("G6", CultureInfo.InvariantCulture) : z[i].ToString(CultureInfo.InvariantCulture);
            if (i >= _free.Length) return $"trim of node {i - _free.Length + 1} (= {value})";
            var (l, k) = _free[i];
            var layer = _student.Layers[l];
            int n = layer.Edges.Count, e = k % n;
            return $"layer {l}, device {e} ({layer.Edges.Source[e]} -> {layer.Edges.Destination[e]}), parameter {layer.Model.ParameterNames[k / n]} (= {value})";
        }
    }
}
