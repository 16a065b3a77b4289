using KirchhoffHw.Model;
namespace KirchhoffHw.Verify;

/// <summary>Small numeric helpers of the verifier, kept apart so tests can hold them to hand-worked values.</summary>
public static class Metrics
{
    public static double MaxAbsDiff(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }

    public static int ArgMax(ReadOnlySpan<double> v) => SampleStatistics.ArgMax(v);

    /// <summary>Top-1 minus top-2: how far a classification is from flipping.</summary>
    public static double Margin(ReadOnlySpan<double> v)
    {
        if (v.Length < 2) return double.PositiveInfinity;
        double first = double.NegativeInfinity, second = double.NegativeInfinity;
        foreach (var x in v)
        {
            if (x > first) { second = first; first = x; }
            else if (x > second) second = x;
        }
        return first - second;
    }

    /// <summary>
    /// Energy distance between two samples of points (Szekely): 2 E|X-Y| - E|X-X'| - E|Y-Y'|, zero exactly when the
    /// distributions agree. Chosen because it needs no binning and works in any dimension.
    /// </summary>
    public static double EnergyDistance(IReadOnlyList<double[]> x, IReadOnlyList<double[]> y)
    {
        if (x.Count == 0 || y.Count == 0) return double.NaN;
        static double Mean(IReadOnlyList<double[]> a, IReadOnlyList<double[]> b)
        {
            double s = 0;
            foreach (var p in a) foreach (var q in b) s += Distance(p, q);
            return s / ((double)a.Count * b.Count);
        }
        return Math.Max(0, 2 * Mean(x, y) - Mean(x, x) - Mean(y, y));
    }

    public static double Distance(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.Sqrt(s);
    }

    /// <summary>Root of the mean, over dimensions, of each dimension's variance.</summary>
    public static double PooledStd(IReadOnlyList<double[]> points) => SampleStatistics.PooledStd(points);

    /// <summary>Index of the time point at <paramref name="t"/>, or -1: simulators land on breakpoints up to rounding.</summary>
    public static int FindTime(double[] time, double t, double tolerance)
    {
        int i = Array.BinarySearch(time, t);
        if (i >= 0) return LastAt(time, i);
        i = ~i;
        int best = -1;
        double bestDiff = tolerance;
        foreach (var j in new[] { i - 1, i })
            if (j >= 0 && j < time.Length && Math.Abs(time[j] - t) <= bestDiff) { best = j; bestDiff = Math.Abs(time[j] - t); }
        return best < 0 ? -1 : LastAt(time, best);
    }

    // ngspice may record a breakpoint twice; the later record is the settled one.
    private static int LastAt(double[] time, int i)
    {
        while (i + 1 < time.Length && time[i + 1] == time[i]) i++;
        return i;
    }

    /// <summary>The integral of a waveform over [a, b] (trapezoids between its time points, linear at both ends).</summary>
    public static double Integral(double[] time, double[] values, double a, double b)
    {
        if (!(b > a) || time.Length == 0) return 0;
        double sum = 0, t0 = a, v0 = At(time, values, a, 0);
        for (int i = 0; i < time.Length; i++)
        {
            if (time[i] <= a) continue;
            if (time[i] >= b) break;
            sum += 0.5 * (v0 + values[i]) * (time[i] - t0);
            (t0, v0) = (time[i], values[i]);
        }
        return sum + 0.5 * (v0 + At(time, values, b, 0)) * (b - t0);
    }

    /// <summary>Value of a waveform at <paramref name="t"/>: the time point if one is there, else linear interpolation.</summary>
    public static double At(double[] time, double[] values, double t, double tolerance)
    {
        int k = FindTime(time, t, tolerance);
        if (k >= 0) return values[k];
        int i = Array.BinarySearch(time, t);
        i = i < 0 ? ~i : i;
        if (i <= 0) return values[0];
        if (i >= time.Length) return values[^1];
        double f = (t - time[i - 1]) / (time[i] - time[i - 1]);
        return values[i - 1] + f * (values[i] - values[i - 1]);
    }
}
