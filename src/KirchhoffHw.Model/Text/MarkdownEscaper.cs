using System.Text;

namespace KirchhoffHw.Model.Text;

/// <summary>
/// Escapes values as they are interpolated into a Markdown document, by where they land. It watches the text
/// written so far (<see cref="Observe"/>), so it knows whether a value falls inside a code span, a fenced code
/// block or a table row: in plain text every character that starts Markdown emphasis, a link or inline HTML is
/// backslash-escaped (a design named `&lt;script&gt;` or `![x](http://...)` stays text); inside a code span only a
/// backtick could end the span, so it alone is replaced and a path or command reads exactly as typed. Line
/// breaks and control characters never reach the document: a newline in a value would end a table row or
/// start an HTML block.
/// </summary>
public sealed class MarkdownEscaper
{
    private readonly StringBuilder _lineStart = new();
    private bool _lineIsTable;
    private int _backticks;
    private bool _inFence;

    /// <summary>Feeds text that was written to the document as it is (template text and escaped values alike).</summary>
    public void Observe(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (c == '\n')
            {
                if (_lineStart.ToString().TrimStart().StartsWith("```", StringComparison.Ordinal)) _inFence = !_inFence;
                _lineStart.Clear();
                _lineIsTable = false;
                _backticks = 0;
                continue;
            }
            if (_lineStart.Length < 8)
            {
                _lineStart.Append(c);
                if (_lineStart.ToString().TrimStart() is [var first, ..]) _lineIsTable = first == '|';
            }
            if (c == '`') _backticks++;
        }
    }

    /// <summary>The value as it must be written where the document currently stands.</summary>
    public string Escape(string value)
    {
        var flat = TerminalText.Escape(value.Replace("\r\n", " ").Replace('\n', ' ').Replace('\r', ' '));
        bool inCode = _inFence || _backticks % 2 == 1;
        var sb = new StringBuilder(flat.Length + 8);
        foreach (char c in flat)
        {
            if (c == '`') sb.Append('\'');
            else if (c == '|' && _lineIsTable) sb.Append("\\|");
            else if (!inCode && c is '\\' or '*' or '_' or '[' or ']' or '<' or '>' or '&' or '~') sb.Append('\\').Append(c);
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
