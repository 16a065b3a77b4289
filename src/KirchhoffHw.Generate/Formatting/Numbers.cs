using System.Globalization;
using KirchhoffHw.Model;

namespace KirchhoffHw.Generate.Formatting;

/// <summary>
/// The only way a number reaches generated text. Round-trip exponent notation, never SI suffixes: SPICE reads
/// "M" as milli, and a suffix table per dialect is a known source of 1e9 errors. A non-finite value is a bug
/// upstream (designs are validated), so it throws instead of writing "NaN" into a deck.
/// </summary>
public static class Numbers
{
    public static string Format(double value)
    {
        if (!double.IsFinite(value))
            throw new KirchhoffHwException("<generator>", $"refusing to write the non-finite number {value}");
        if (value == 0) return "0";
        return value.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>As <see cref="Format"/>, wrapped in parentheses when negative so it is safe after any operator.</summary>
    public static string Operand(double value)
    {
        var text = Format(value);
        return text[0] == '-' ? $"({text})" : text;
    }

    public static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static readonly System.Text.RegularExpressions.Regex Engineering = new(
        @"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(meg|[tgkmunpfa])?([a-z]*)$",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// Parses a value as SPICE does (1p, 1n, 2.5u, 1e-12, 10meg, 1pF, 1ns): the prefix is case-insensitive,
    /// m is milli, meg is mega, and trailing unit letters are ignored. Null when the text is not a finite number.
    /// </summary>
    public static double? ParseEngineering(string text)
    {
        var m = Engineering.Match(text.Trim());
        if (!m.Success || !double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) return null;
        double scale = m.Groups[2].Value.ToLowerInvariant() switch
        {
            "meg" => 1e6, "t" => 1e12, "g" => 1e9, "k" => 1e3, "m" => 1e-3, "u" => 1e-6,
            "n" => 1e-9, "p" => 1e-12, "f" => 1e-15, "a" => 1e-18, _ => 1.0,
        };
        v *= scale;
        return double.IsFinite(v) ? v : null;
    }
}
