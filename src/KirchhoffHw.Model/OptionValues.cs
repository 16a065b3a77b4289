using System.Globalization;

namespace KirchhoffHw.Model;

/// <summary>
/// The checks every numeric command-line value goes through where it is parsed, so NaN, an infinity, a
/// negative timeout or a count beyond memory is a usage error with the option's name, never a value that
/// reaches a solver or a JSON writer. Each returns null when the value is fine, else the reason.
/// </summary>
public static class OptionValues
{
    /// <summary>Longest wait anything takes from the command line: TimeSpan and every timer below hold it.</summary>
    public const double MaxSeconds = 1e6;

    public static string? PositiveFinite(string option, double value) =>
        value > 0 && double.IsFinite(value) ? null : $"{option} must be a positive finite number, got {Text(value)}";

    public static string? NonNegativeFinite(string option, double value) =>
        value >= 0 && double.IsFinite(value) ? null : $"{option} must be a finite number of at least 0, got {Text(value)}";

    public static string? Fraction(string option, double value) =>
        value > 0 && value <= 1 ? null : $"{option} must be in (0, 1], got {Text(value)}";

    public static string? Seconds(string option, double value) =>
        value > 0 && value <= MaxSeconds ? null : $"{option} must be a number of seconds in (0, {MaxSeconds:0e0}], got {Text(value)}";

    public static string? AtLeast(string option, long value, long min) =>
        value >= min ? null : $"{option} must be at least {min}, got {value}";

    public static string? InRange(string option, long value, long min, long max) =>
        value >= min && value <= max ? null : $"{option} must be between {min} and {max}, got {value}";

    /// <summary>
    /// A number of cases: positive, and few enough that their inputs and results (<paramref name="bytesPerCase"/>
    /// each) fit the memory limit.
    /// </summary>
    public static string? CaseCount(string option, long count, double bytesPerCase)
    {
        if (count < 1) return $"{option} needs a positive count, got {count}";
        return MemoryLimit.Check(MemoryLimit.Times(count, bytesPerCase), $"{option} {count}");
    }

    /// <summary>One of <paramref name="allowed"/>, compared without case; several when <paramref name="list"/> (comma-separated).</summary>
    public static string? OneOf(string option, string value, bool list, params string[] allowed)
    {
        var items = list ? value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [value.Trim()];
        if (items.Length == 0) return $"{option} needs one of {string.Join(", ", allowed)}";
        var bad = items.FirstOrDefault(v => !allowed.Contains(v, StringComparer.OrdinalIgnoreCase));
        return bad is null ? null : $"{option} '{bad}' is not one of {string.Join(", ", allowed)}";
    }

    public static void Require(string? problem)
    {
        if (problem is not null) throw new KirchhoffHwException("<options>", problem);
    }

    private static string Text(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
