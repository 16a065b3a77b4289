using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace KirchhoffHw.Model.IO;

/// <summary>
/// Writes a file so that a crash or an exception never leaves it half-written: the content goes to a
/// temporary file in the same directory, which replaces the target only once it is complete. Only a regular
/// file (or nothing, or a symbolic link, which is replaced and never followed) is replaced that way: a
/// character device or a FIFO (`-o /dev/null`, a pipe) is written through, and `/dev/stdout`, `/dev/stderr` and
/// `/dev/fd/N` write to the process's own descriptor, so no rename can ever replace a device node. Temporaries
/// that a killed run left beside the target are removed on the next write to it.
/// </summary>
public static partial class AtomicFile
{
    public static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    public static void Write(string path, Action<Stream> write)
    {
        var target = OutputPath.Classify(path);
        if (target.Descriptor is { } fd)
        {
            WriteThrough(path, () => new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false), FileAccess.Write, 1), write);
            return;
        }
        if (target.WriteThrough)
        {
            WriteThrough(path, () => new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1), write);
            return;
        }
        var full = target.FullPath;
        var dir = Path.GetDirectoryName(full)!;
        string temp;
        try
        {
            Directory.CreateDirectory(dir);
            RemoveStaleTemporaries(dir, Path.GetFileName(full));
            temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OutputPath.CannotWrite(path, e);
        }
        try
        {
            using (var stream = Create(path, temp))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OutputPath.CannotWrite(path, e);
        }
        finally
        {
            try { if (File.Exists(temp)) File.Delete(temp); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    public static void WriteText(string path, Action<TextWriter> write) =>
        Write(path, s =>
        {
            using var w = new StreamWriter(s, Utf8, 1 << 16, leaveOpen: true) { NewLine = "\n" };
            write(w);
        });

    public static void WriteAllText(string path, string text) => WriteText(path, w => w.Write(text));

    private static FileStream Create(string path, string temp)
    {
        try { return new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OutputPath.CannotWrite(path, e);
        }
    }

    private static void WriteThrough(string path, Func<Stream> open, Action<Stream> write)
    {
        try
        {
            using var stream = new BufferedStream(open(), 1 << 16);
            write(stream);
            stream.Flush();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OutputPath.CannotWrite(path, e);
        }
    }

    [GeneratedRegex(@"^\.(?<name>.+)\.(?<pid>[0-9]+)\.[0-9a-f]{32}\.tmp\z")]
    private static partial Regex TemporaryName();

    /// <summary>
    /// A temporary of ours for <paramref name="name"/> whose process is gone, or is a later process that happens to
    /// have its id (it started after the file was last written), is what a kill -9 left behind.
    /// </summary>
    internal static void RemoveStaleTemporaries(string dir, string name)
    {
        foreach (var file in Directory.EnumerateFiles(dir, $".{name}.*.tmp"))
        {
            var m = TemporaryName().Match(Path.GetFileName(file));
            if (!m.Success || m.Groups["name"].Value != name || FileKinds.Of(file, followLinks: false) != FileKind.Regular) continue;
            if (!int.TryParse(m.Groups["pid"].ValueSpan, out int pid) || Alive(pid, File.GetLastWriteTimeUtc(file))) continue;
            try { File.Delete(file); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    private static bool Alive(int pid, DateTime writtenUtc)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var p = Process.GetProcessById(pid);
            return p.StartTime.ToUniversalTime() <= writtenUtc.AddSeconds(1);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return false;
        }
    }
}
