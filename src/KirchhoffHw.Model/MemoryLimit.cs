using System.Globalization;

namespace KirchhoffHw.Model;

/// <summary>
/// The one bound on every size an input can ask for (nodes, devices, tensor elements, input rows, file
/// lengths): what a structure would take in memory is estimated before it is allocated, and a request above
/// <see cref="Bytes"/> is refused with both numbers, instead of running out of memory or for hours. The limit
/// is half the memory available to this process (the machine's or its container's), or
/// `KIRCHHOFFHW_MEMORY_LIMIT` (bytes, or with a k/M/G/T suffix) when set.
/// </summary>
public static class MemoryLimit
{
    public const string Variable = "KIRCHHOFFHW_MEMORY_LIMIT";

    public static long Available { get; } = Math.Max(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, 1L << 30);

    public static long Bytes { get; } = FromEnvironment() ?? Available / 2;

    private static long? FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(Variable)?.Trim();
        if (string.IsNullOrEmpty(text)) return null;
        long scale = char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, 'T' => 1L << 40, _ => 1 };
        if (scale > 1) text = text[..^1];
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && v * scale < long.MaxValue
            ? (long)(v * scale) : null;
    }

    /// <summary>
    /// <paramref name="count"/> items of <paramref name="bytesEach"/> bytes, saturating at long.MaxValue, so an
    /// absurd count (2^62 tensor elements, a billion nodes squared) compares as too large instead of wrapping.
    /// </summary>
    public static long Times(long count, double bytesEach) => Of(Math.Max(0, count) * bytesEach);

    /// <summary>A byte count computed in floating point, saturated to long.</summary>
    public static long Of(double bytes) => !(bytes < long.MaxValue) ? long.MaxValue : bytes <= 0 ? 0 : (long)Math.Ceiling(bytes);

    public static bool Fits(long bytes) => bytes <= Bytes;

    /// <summary>
    /// Null when <paramref name="bytes"/> fit, else the reason: "&lt;what&gt; needs about 16 GB, more than the
    /// 11.8 GB memory limit (...)". <paramref name="what"/> names the request with its number.
    /// </summary>
    public static string? Check(long bytes, string what) => Fits(bytes) ? null
        : $"{what} would need about {Format(bytes)} of memory, more than the {Format(Bytes)} limit ({Origin})";

    public static void Require(long bytes, string what, SourceLocation at)
    {
        if (Check(bytes, what) is { } problem) throw new KirchhoffHwException(at, problem);
    }

    public static string Origin => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 }
        ? $"{Variable}" : $"half of the {Format(Available)} available; set {Variable} to change it";

    public static string Format(long bytes)
    {
        if (bytes == long.MaxValue) return "more than 9 EB";
        string[] units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"];
        double v = bytes;
        int u = 0;
        while (v >= 1000 && u < units.Length - 1) { v /= 1000; u++; }
        return u == 0 ? $"{bytes} bytes" : v.ToString(v < 10 ? "0.##" : v < 100 ? "0.#" : "0", CultureInfo.InvariantCulture) + " " + units[u];
    }
}
