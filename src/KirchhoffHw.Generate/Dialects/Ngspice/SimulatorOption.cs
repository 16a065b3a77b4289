using System.Text.RegularExpressions;
using KirchhoffHw.Model;

namespace KirchhoffHw.Generate.Dialects.Ngspice;

/// <summary>
/// Validates `.options` entries given by a user: a key is a bare option name, a value a number or a bare
/// word. Anything else (spaces, newlines, dots, quotes) could smuggle a control line into the deck.
/// </summary>
public static partial class SimulatorOption
{
    [GeneratedRegex(@"^[a-z][a-z0-9_]{0,31}\z")]
    private static partial Regex KeyPattern();

    [GeneratedRegex("^(?:[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?|[a-z][a-z0-9_]{0,31})\\z")]
    private static partial Regex ValuePattern();

    private static readonly HashSet<string> Forbidden = ["shell", "include", "lib", "control", "exec", "source"];

    public static string Key(string key)
    {
        var k = key.Trim().ToLowerInvariant();
        if (!KeyPattern().IsMatch(k) || Forbidden.Contains(k))
            throw new KirchhoffHwException("<options>", $"simulator option name '{Safe(key)}' is not allowed (letters, digits and _ only)");
        return k;
    }

    public static string Value(string key, string value)
    {
        var v = value.Trim().ToLowerInvariant();
        if (!ValuePattern().IsMatch(v) || Forbidden.Contains(v))
            throw new KirchhoffHwException("<options>", $"simulator option {Safe(key)}: value '{Safe(value)}' is not a number or a plain word");
        return v;
    }

    private static string Safe(string text) => Formatting.Names.CommentText(text);
}
