using System.Text;

namespace KirchhoffHw.Model.IO;

/// <summary>
/// Writes a file so that a crash or an exception never leaves it half-written: the content goes to a
/// temporary file in the same directory, which replaces the target only once it is complete.
/// </summary>
public static class AtomicFile
{
    public static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public static void WriteText(string path, Action<TextWriter> write) =>
        Write(path, s =>
        {
            using var w = new StreamWriter(s, Utf8, 1 << 16, leaveOpen: true) { NewLine = "\n" };
            write(w);
        });

    public static void WriteAllText(string path, string text) => WriteText(path, w => w.Write(text));
}
