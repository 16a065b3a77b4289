using System.Globalization;
using System.Text;

namespace KirchhoffHw.Model.Text;

/// <summary>
/// Text from input files made safe to print: a design name or a YAML value carrying ESC, a carriage return or
/// a line separator could repaint the terminal, hide the error or fake a PASS line. Control characters (C0
/// but tab, DEL, C1), line and paragraph separators, bidirectional overrides and lone surrogates are written
/// as visible escapes (\e, \r, \u2028, ...); everything else is printed as it is.
/// </summary>
public static class TerminalText
{
    /// <summary>One line: a newline inside the text is escaped too.</summary>
    public static string Escape(string? text) => Escape(text, keepNewlines: false);

    /// <summary>Several lines: newlines stay, every other control character is escaped.</summary>
    public static string EscapeLines(string? text) => Escape(text, keepNewlines: true);

    private static string Escape(string? text, bool keepNewlines)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        int first = 0;
        while (first < text.Length && !NeedsEscape(text, first, keepNewlines)) first++;
        if (first == text.Length) return text;
        var sb = new StringBuilder(text.Length + 16).Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
                continue;
            }
            if (!NeedsEscape(text, i, keepNewlines)) { sb.Append(c); continue; }
            sb.Append(c switch
            {
                '\x1b' => "\\e",
                '\r' => "\\r",
                '\n' => "\\n",
                '\0' => "\\0",
                '\b' => "\\b",
                '\a' => "\\a",
                '\f' => "\\f",
                '\v' => "\\v",
                < '\u0100' => "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture),
                _ => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
            });
        }
        return sb.ToString();
    }

    private static bool NeedsEscape(string text, int i, bool keepNewlines)
    {
        char c = text[i];
        if (c == '\n') return !keepNewlines;
        if (c == '\t') return false;
        // a backslash is escaped only where an escape follows, so a printed path reads as typed
        if (c == '\\') return false;
        if (char.IsSurrogate(c))
            return char.IsHighSurrogate(c) ? !(i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) : !(i > 0 && char.IsHighSurrogate(text[i - 1]));
        return c < ' ' || c is >= '\x7f' and <= '\x9f' || c is '\u2028' or '\u2029' or '\ufeff'
            || c is >= '\u202a' and <= '\u202e' || c is >= '\u2066' and <= '\u2069' || c is '\u200e' or '\u200f' or '\u061c';
    }
}
