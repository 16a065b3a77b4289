namespace KirchhoffHw.Model;

/// <summary>Where something is in an input file: the file and, when known, a 1-based line and column.</summary>
public readonly record struct SourceLocation(string File, int Line = 0, int Column = 0)
{
    public override string ToString() =>
        Line > 0 ? (Column > 0 ? $"{File}:{Line}:{Column}" : $"{File}:{Line}") : File;
}

/// <summary>One problem found in an input, with where it is.</summary>
public sealed record Diagnostic(SourceLocation Location, string Message)
{
    public override string ToString() => $"{Location}: {Message}";
}

/// <summary>
/// Bad input detected at a boundary (file, design, option). Carries every problem found so a user fixes
/// them in one go; the CLI prints them one per line and exits non-zero, never a stack trace.
/// </summary>
public sealed class KirchhoffHwException : Exception
{
    public IReadOnlyList<Diagnostic> Diagnostics { get; }

    public KirchhoffHwException(IReadOnlyList<Diagnostic> diagnostics, Exception? inner = null)
        : base(string.Join(Environment.NewLine, diagnostics), inner)
    {
        if (diagnostics.Count == 0) throw new ArgumentException("at least one diagnostic", nameof(diagnostics));
        Diagnostics = diagnostics;
    }

    public KirchhoffHwException(SourceLocation location, string message, Exception? inner = null)
        : this([new Diagnostic(location, message)], inner) { }

    public KirchhoffHwException(string file, string message, Exception? inner = null)
        : this(new SourceLocation(file), message, inner) { }
}
