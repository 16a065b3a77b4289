using System.Runtime.InteropServices;

namespace KirchhoffHw.Slurm.Journal;

/// <summary>
/// The few libc calls the journal needs and .NET does not expose: open with O_NOFOLLOW, flock and write on a
/// descriptor opened O_APPEND. Flag values differ between Linux architectures, so they are picked at run time.
/// </summary>
internal static partial class Posix
{
    public const int ELOOP = 40;
    public const int EWOULDBLOCK = 11;
    public const int EINTR = 4;
    private const int O_RDWR = 0x2, O_CREAT = 0x40, O_APPEND = 0x400, O_CLOEXEC = 0x80000;
    private const int LOCK_EX = 2, LOCK_NB = 4;

    public static int AppendFlags => O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | NoFollow;

    public static int ReadFlags => O_CLOEXEC | NoFollow;

    private static int NoFollow => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x20000,
        Architecture.Arm64 or Architecture.Arm => 0x8000,
        var other => throw new PlatformNotSupportedException($"O_NOFOLLOW is not known for {other}"),
    };

    public static bool IsLinux => OperatingSystem.IsLinux();

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    public static partial long Seek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static unsafe partial nint Pread(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    public const int SEEK_END = 2;

    /// <summary>The byte at <paramref name="offset"/>, or -1 when there is none.</summary>
    public static unsafe int ReadByteAt(int fd, long offset)
    {
        byte b;
        var n = Pread(fd, &b, 1, offset);
        if (n < 0) throw new IOException(Marshal.GetLastPInvokeErrorMessage());
        return n == 0 ? -1 : b;
    }

    /// <summary>
    /// The whole file, read with pread and no lock: .NET's FileStream takes a shared flock on open and would
    /// fail while a task holds its journal's exclusive lock. Null for a symbolic link.
    /// </summary>
    public static byte[]? ReadAllNoFollow(string path)
    {
        var fd = Open(path, ReadFlags, 0);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == ELOOP) return null;
            throw new IOException($"{path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        try
        {
            var buffer = new MemoryStream();
            var chunk = new byte[1 << 16];
            long offset = 0;
            while (true)
            {
                var n = ReadAt(fd, chunk, offset);
                if (n == 0) return buffer.ToArray();
                buffer.Write(chunk, 0, n);
                offset += n;
            }
        }
        finally
        {
            Close(fd);
        }
    }

    private static unsafe int ReadAt(int fd, byte[] buffer, long offset)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = Pread(fd, p, (nuint)buffer.Length, offset);
                if (n >= 0) return (int)n;
                if (Marshal.GetLastPInvokeError() != EINTR) throw new IOException(Marshal.GetLastPInvokeErrorMessage());
            }
        }
    }

    public static bool TryLockExclusive(int fd) => Flock(fd, LOCK_EX | LOCK_NB) == 0;

    /// <summary>Writes every byte: one write(2) per call when it can, looping only on a short write.</summary>
    public static unsafe void WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* start = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = Write(fd, start + done, (nuint)(data.Length - done));
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == EINTR) continue;
                    throw new IOException(Marshal.GetLastPInvokeErrorMessage());
                }
                done += (int)n;
            }
        }
    }
}
