using System.Text.RegularExpressions;

namespace KirchhoffHw.Model.IO;

/// <summary>
/// Where an output goes and whether it can, decided before any work is done: a command that would spend an
/// hour simulating checks first that its output file or folder can be written, and says why not in one line.
/// </summary>
public static partial class OutputPath
{
    /// <summary>How a path is written: to a process descriptor, through to a device or FIFO, or by atomic rename.</summary>
    public readonly record struct Target(string FullPath, int? Descriptor, bool WriteThrough);

    [GeneratedRegex(@"^/(?:dev/fd|proc/self/fd|proc/thread-self/fd)/(?<fd>[0-9]{1,9})\z")]
    private static partial Regex DescriptorPath();

    /// <summary>Decides how <paramref name="path"/> is written; throws for what can never be written (a folder, a block device).</summary>
    public static Target Classify(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new KirchhoffHwException("<options>", "an output path is empty");
        var full = Path.GetFullPath(path);
        switch (full)
        {
            case "/dev/stdin": return new Target(full, 0, true);
            case "/dev/stdout": return new Target(full, 1, true);
            case "/dev/stderr": return new Target(full, 2, true);
        }
        if (OperatingSystem.IsLinux() && DescriptorPath().Match(full) is { Success: true } m)
            return new Target(full, int.Parse(m.Groups["fd"].ValueSpan), true);
        var own = FileKinds.Of(full, followLinks: false);
        var kind = own == FileKind.SymbolicLink ? FileKinds.Of(full) : own;
        // The machine's device and kernel trees: a rename there (as root) would replace a node or link for
        // every process, so only an existing device or FIFO is ever written, through.
        if (SystemTree(full) && kind is not (FileKind.CharacterDevice or FileKind.Fifo))
            throw new KirchhoffHwException(path, $"cannot be written: under /{full.Split('/')[1]} an output goes only to an existing character device or FIFO, " +
                $"and this is {(kind == FileKind.Missing ? "no such file" : FileKinds.Describe(kind))}");
        return kind switch
        {
            FileKind.Missing or FileKind.Regular => new Target(full, null, false),
            FileKind.CharacterDevice or FileKind.Fifo => new Target(full, null, true),
            FileKind.Directory => throw new KirchhoffHwException(path, "is a folder; give a file name for this output"),
            _ => throw new KirchhoffHwException(path, $"is {FileKinds.Describe(kind)}; an output is written to a regular file, a character device or a FIFO"),
        };
    }

    private static bool SystemTree(string full) =>
        OperatingSystem.IsLinux() && (full.StartsWith("/proc/", StringComparison.Ordinal) || full.StartsWith("/sys/", StringComparison.Ordinal)
            || (full.StartsWith("/dev/", StringComparison.Ordinal) && !full.StartsWith("/dev/shm/", StringComparison.Ordinal)));

    /// <summary>
    /// Throws unless <paramref name="path"/> can be written as a file: it is not a folder or block device, and its
    /// folder (or the nearest existing one above it, where the missing ones will be created) is a writable folder.
    /// Writability is tested the only reliable way, by creating and removing a file there.
    /// </summary>
    public static void RequireWritableFile(string path)
    {
        var target = Classify(path);
        if (target.WriteThrough) return;
        RequireWritable(Path.GetDirectoryName(target.FullPath)!, path);
    }

    /// <summary>
    /// Throws unless <paramref name="folder"/> is, or can be created as, a writable folder that is not a symbolic
    /// link (outputs are never written through a link into another folder), and so are the subfolders
    /// <paramref name="subfolders"/> that will be written inside it.
    /// </summary>
    public static void RequireWritableFolder(string folder, params string[] subfolders)
    {
        if (string.IsNullOrWhiteSpace(folder)) throw new KirchhoffHwException("<options>", "an output folder is empty");
        foreach (var path in subfolders.Select(s => Path.Combine(folder, s)).Prepend(folder))
        {
            var kind = FileKinds.Of(path, followLinks: false);
            if (kind is not (FileKind.Missing or FileKind.Directory))
                throw new KirchhoffHwException(path, kind == FileKind.SymbolicLink ? LinkRefused
                    : $"is {FileKinds.Describe(kind)}, where this output needs a folder");
        }
        RequireWritable(Path.GetFullPath(folder), folder);
    }

    /// <summary>Creates <paramref name="folder"/> for writing into, refusing a symbolic link in its place.</summary>
    public static string CreateFolder(string folder)
    {
        if (FileKinds.Of(folder, followLinks: false) == FileKind.SymbolicLink) throw new KirchhoffHwException(folder, LinkRefused);
        try { Directory.CreateDirectory(folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw CannotWrite(folder, e); }
        return folder;
    }

    private const string LinkRefused = "is a symbolic link; outputs are not written through links (remove it, or give the folder it points to)";

    private static void RequireWritable(string dir, string named)
    {
        var existing = dir;
        while (FileKinds.Of(existing) == FileKind.Missing)
            existing = Path.GetDirectoryName(existing) ?? throw new KirchhoffHwException(named, "cannot be written: no folder on its path exists");
        var kind = FileKinds.Of(existing);
        if (kind != FileKind.Directory)
            throw new KirchhoffHwException(named, $"cannot be written: {existing} is {FileKinds.Describe(kind)}, not a folder");
        var probe = Path.Combine(existing, $".kirchhoffhw-write-test.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KirchhoffHwException(named, $"cannot be written: the folder {existing} does not accept new files ({Reason(e)})", e);
        }
    }

    public static KirchhoffHwException CannotWrite(string path, Exception e) =>
        new(path, $"cannot be written: {Reason(e)}", e);

    private static string Reason(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        DirectoryNotFoundException => "a folder on its path does not exist",
        _ => e.Message,
    };
}
