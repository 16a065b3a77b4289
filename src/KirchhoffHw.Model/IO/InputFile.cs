namespace KirchhoffHw.Model.IO;

/// <summary>
/// Every file the tool reads goes through here. Only regular files are read (links to them are fine): a FIFO
/// blocks its reader until a writer comes, and /dev/zero or /dev/urandom never end. Its length is known
/// before a byte is read, so a file that would not fit <see cref="MemoryLimit"/> once parsed is refused with both
/// numbers.
/// </summary>
public static class InputFile
{
    /// <summary>
    /// Checks that <paramref name="path"/> is a regular file of a size that fits: its parsed form is taken to
    /// need <paramref name="bytesPerByte"/> bytes of memory per byte of file. Returns the length.
    /// </summary>
    public static long Require(string path, string what, double bytesPerByte = 1)
    {
        var kind = FileKinds.Of(path);
        if (kind == FileKind.Missing) throw new KirchhoffHwException(path, $"{what} not found");
        if (kind != FileKind.Regular)
            throw new KirchhoffHwException(path, $"{what} is {FileKinds.Describe(kind)}, not a regular file; only regular files are read (save the data to a file first)");
        long length = FileKinds.Size(path);
        MemoryLimit.Require(MemoryLimit.Times(length, bytesPerByte), $"{what} of {length:N0} bytes", new SourceLocation(path));
        return length;
    }

    public static FileStream OpenRead(string path, string what, double bytesPerByte = 1)
    {
        Require(path, what, bytesPerByte);
        try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KirchhoffHwException(path, $"{what} cannot be read: {e.Message}", e);
        }
    }

    public static StreamReader OpenText(string path, string what, double bytesPerByte = 1) =>
        new(OpenRead(path, what, bytesPerByte), detectEncodingFromByteOrderMarks: true);

    /// <summary>The whole file as text; a UTF-16 string takes two bytes a character on top of the parse.</summary>
    public static string ReadAllText(string path, string what, double bytesPerByte = 2)
    {
        using var reader = OpenText(path, what, bytesPerByte);
        return Guard(path, what, reader.ReadToEnd);
    }

    public static byte[] ReadAllBytes(string path, string what, double bytesPerByte = 1)
    {
        using var stream = OpenRead(path, what, bytesPerByte);
        return Guard(path, what, () =>
        {
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return bytes;
        });
    }

    private static T Guard<T>(string path, string what, Func<T> read)
    {
        try { return read(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KirchhoffHwException(path, $"{what} cannot be read: {e.Message}", e);
        }
    }
}
