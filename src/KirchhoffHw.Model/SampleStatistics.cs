namespace KirchhoffHw.Model;

/// <summary>Statistics of a set of output vectors that every judge of a task uses: verification, tolerance and calibration alike.</summary>
public static class SampleStatistics
{
    /// <summary>The index of the largest value (the first of equal ones).</summary>
    public static int ArgMax(ReadOnlySpan<double> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /// <summary>Root of the mean, over dimensions, of each dimension's variance; NaN below two points.</summary>
    public static double PooledStd(IReadOnlyList<double[]> points)
    {
        if (points.Count < 2) return double.NaN;
        int d = points[0].Length;
        double total = 0;
        for (int j = 0; j < d; j++)
        {
            double mean = points.Average(p => p[j]);
            total += points.Sum(p => (p[j] - mean) * (p[j] - mean)) / (points.Count - 1);
        }
        return Math.Sqrt(total / d);
    }
}
