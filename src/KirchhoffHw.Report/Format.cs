using System.Globalization;

namespace KirchhoffHw.Report;

/// <summary>Numbers for people: four significant digits with an SI prefix, areas in mm^2 or um^2. report.json keeps the exact values.</summary>
public static class Format
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly (double Scale, string Prefix)[] Prefixes =
    [
        (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""), (1e-3, "m"), (1e-6, "u"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f"), (1e-18, "a"),
    ];

    public static string Raw(double value) => double.IsFinite(value) ? value.ToString("R", Inv) : "null";

    /// <summary>Four significant digits, plain notation from 1e-3 to 1e6 (G4 would write 2.051E+04).</summary>
    public static string Number(double value)
    {
        if (!double.IsFinite(value)) return "-";
        double a = Math.Abs(value);
        if (a == 0 || a < 1e-3 || a >= 1e6) return value.ToString("G4", Inv);
        int decimals = Math.Max(0, 3 - (int)Math.Floor(Math.Log10(a)));
        return Math.Round(value, decimals).ToString("0.####", Inv);
    }

    public static string Count(double value) => value == Math.Floor(value) && Math.Abs(value) < 1e15 ? ((long)value).ToString("N0", Inv) : Number(value);

    public static string Quantity(double value, string unit)
    {
        if (!double.IsFinite(value)) return "-";
        if (unit == "") return Count(value);
        if (unit.StartsWith("of ", StringComparison.Ordinal)) return $"{Count(value)} {unit}";
        if (unit == "m^2")
            return Math.Abs(value) >= 1e-6 ? $"{Number(value * 1e6)} mm^2" : $"{Number(value * 1e12)} um^2";
        if (unit is "1/s") return $"{Si(value)}/s";
        return $"{Si(value)}{unit}";
    }

    /// <summary>"4.7 n" style: the value with the largest prefix that keeps it at or above 1.</summary>
    public static string Si(double value)
    {
        if (value == 0) return "0 ";
        double a = Math.Abs(value);
        foreach (var (scale, prefix) in Prefixes)
            if (a >= scale * (1 - 5e-5)) return $"{Number(value / scale)} {prefix}";
        return $"{value.ToString("G4", Inv)} ";
    }
}
