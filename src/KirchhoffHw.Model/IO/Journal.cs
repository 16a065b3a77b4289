using System.Text;

namespace KirchhoffHw.Model.IO;

/// <summary>
/// An append-only file of lines beside an output (a batch's finished cases, so an interrupted run resumes).
/// It is opened without following a symbolic link and only ever as a regular file: a link planted where the
/// journal goes would otherwise grow, or be read from, whatever file it points at.
/// </summary>
public static class Journal
{
    public static void Append(string path, ReadOnlySpan<byte> line)
    {
        RequireRegularOrMissing(path);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            using var file = FileKinds.OpenNoFollow(path, append: true);
            file.Write(line);
            file.Flush(flushToDisk: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OutputPath.CannotWrite(path, e);
        }
    }

    /// <summary>The journal's lines, or none when there is no journal yet.</summary>
    public static IReadOnlyList<string> ReadLines(string path)
    {
        if (!RequireRegularOrMissing(path)) return [];
        InputFile.Require(path, "journal", bytesPerByte: 4);
        try
        {
            using var file = FileKinds.OpenNoFollow(path, append: false);
            using var reader = new StreamReader(file, Encoding.UTF8);
            var lines = new List<string>();
            while (reader.ReadLine() is { } line) lines.Add(line);
            return lines;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KirchhoffHwException(path, $"journal cannot be read: {e.Message}", e);
        }
    }

    public static void Delete(string path)
    {
        if (FileKinds.Of(path, followLinks: false) is FileKind.Missing) return;
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw OutputPath.CannotWrite(path, e); }
    }

    private static bool RequireRegularOrMissing(string path)
    {
        var kind = FileKinds.Of(path, followLinks: false);
        return kind switch
        {
            FileKind.Missing => false,
            FileKind.Regular => true,
            FileKind.SymbolicLink => throw new KirchhoffHwException(path, "the journal is a symbolic link; it is never followed (remove it, or run with --fresh)"),
            _ => throw new KirchhoffHwException(path, $"the journal is {FileKinds.Describe(kind)}, not a regular file"),
        };
    }
}
