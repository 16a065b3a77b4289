using KirchhoffHw.Model;

namespace KirchhoffHw.Calibration;

/// <summary>
/// How far a circuit's outputs are from the teacher's on the held-out inputs. Every task: mean over cases of the
/// Euclidean output error, the largest single output error, and the mean error as a fraction of the teacher's spread
/// (root of the mean per-output variance, as the verifier defines it). Classifiers add how many argmaxes are kept and
/// the logit error (per case the largest |logit difference|; mean and max over cases).
/// </summary>
public sealed record HeldOutError(int Cases, double MeanSampleError, double MaxAbsError, double TeacherSpread, double RelativeError,
    int? ArgmaxKept, double? MeanLogitError, double? MaxLogitError)
{
    public static HeldOutError Of(TaskKind task, IReadOnlyList<double[]> teacher, IReadOnlyList<double[]> circuit)
    {
        int n = teacher.Count;
        double mean = 0, max = 0;
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int j = 0; j < teacher[i].Length; j++)
            {
                double d = circuit[i][j] - teacher[i][j];
                s += d * d;
                max = Math.Max(max, Math.Abs(d));
            }
            mean += Math.Sqrt(s) / n;
        }
        double spread = SampleStatistics.PooledStd(teacher);
        int? kept = null;
        double? meanLogit = null, maxLogit = null;
        if (task == TaskKind.Classification && n > 0)
        {
            kept = Enumerable.Range(0, n).Count(i => SampleStatistics.ArgMax(teacher[i]) == SampleStatistics.ArgMax(circuit[i]));
            var worst = Enumerable.Range(0, n).Select(i => teacher[i].Zip(circuit[i], (a, b) => Math.Abs(a - b)).DefaultIfEmpty(0).Max()).ToArray();
            meanLogit = worst.Average();
            maxLogit = worst.Max();
        }
        return new HeldOutError(n, mean, max, spread, spread > 0 ? mean / spread : double.NaN, kept, meanLogit, maxLogit);
    }

    public override string ToString() => ArgmaxKept is { } k
        ? $"argmax kept {k}/{Cases}, logit error mean {MeanLogitError:G3} max {MaxLogitError:G3}"
        : $"mean per-sample error {MeanSampleError:G3} = {RelativeError:P2} of spread {TeacherSpread:G3}";
}

/// <summary>One finished iteration, as the progress callback sees it (held-out error null on iterations that skip it).</summary>
public sealed record CalibrationProgress(int Iteration, double Loss, HeldOutError? HeldOut, int Evaluations, TimeSpan Elapsed);

/// <summary>
/// What a calibration did: why it stopped, the loss before and after each iteration (index 0 is the start), the
/// held-out error before and after, the work and the time, what was free and how much of it ended on a bound (a
/// bound the optimum presses against says the cells limit the result).
/// </summary>
public sealed record CalibrationRecord(
    StopReason Status,
    int Iterations,
    int Evaluations,
    IReadOnlyList<double> Loss,
    HeldOutError Before,
    HeldOutError After,
    double Seconds,
    int FreeParameters,
    int Trims,
    int ParametersAtBounds,
    int TrimsAtBounds,
    LossWeights Weights,
    double TrimCost,
    int TrainingCases,
    string Teacher)
{
    /// <summary>Where <see cref="Seconds"/> went; null when not measured.</summary>
    public CalibrationTimes? Times { get; init; }

    /// <summary>True when the optimizer reached a minimum (vanishing projected gradient or a stalled loss).</summary>
    public bool Converged => Status is StopReason.Converged or StopReason.LossStalled or StopReason.HeldOutStalled;
}

/// <summary>
/// Seconds by phase: the teacher's reference solves, the student's forward and backward passes on the training inputs
/// (thread time summed over the parallel blocks), the wall time of the gradient evaluations, and the held-out solves.
/// </summary>
public sealed record CalibrationTimes(double Teacher, double Forward, double Backward, double Gradients, double HeldOut);

/// <summary>The calibrated student (its parameters and node trims) and the record of how it was found.</summary>
public sealed record CalibrationResult(Design Calibrated, CalibrationRecord Record);
