using System.Runtime.InteropServices;

namespace KirchhoffHw.Model.IO;

/// <summary>What a path names, as the operating system sees it.</summary>
public enum FileKind { Missing, Regular, Directory, SymbolicLink, CharacterDevice, BlockDevice, Fifo, Socket, Other }

/// <summary>
/// File types and no-follow opens, which .NET does not expose: a FIFO looks like an empty file to
/// <see cref="FileInfo"/>, and opening one blocks until a writer appears, so the type must be known before the
/// open. On Linux this is statx(2) (one struct layout on every architecture) and open(2) with O_NOFOLLOW;
/// elsewhere the .NET attributes (regular, directory, link) are the best available answer.
/// </summary>
public static partial class FileKinds
{
    public static FileKind Of(string path, bool followLinks = true)
    {
        if (OperatingSystem.IsLinux() && Posix.Statx(path, followLinks, out var mode, out _) is { } found)
            return found ? KindOfMode(mode) : FileKind.Missing;
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            if (!followLinks) return FileKind.SymbolicLink;
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            return target is null || !target.Exists ? FileKind.Missing : target is DirectoryInfo ? FileKind.Directory : FileKind.Regular;
        }
        if (Directory.Exists(path)) return FileKind.Directory;
        return info.Exists ? FileKind.Regular : FileKind.Missing;
    }

    /// <summary>The size in bytes of what <paramref name="path"/> names (links followed), or -1 when unknown.</summary>
    public static long Size(string path)
    {
        if (OperatingSystem.IsLinux() && Posix.Statx(path, true, out _, out long size) is true) return size;
        var info = new FileInfo(path);
        return info.Exists ? info.Length : -1;
    }

    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Missing => "missing",
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a folder",
        FileKind.SymbolicLink => "a symbolic link",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Fifo => "a FIFO (named pipe)",
        FileKind.Socket => "a socket",
        _ => "not a regular file",
    };

    private static FileKind KindOfMode(uint mode) => (mode & 0xF000) switch
    {
        0x8000 => FileKind.Regular,
        0x4000 => FileKind.Directory,
        0xA000 => FileKind.SymbolicLink,
        0x2000 => FileKind.CharacterDevice,
        0x6000 => FileKind.BlockDevice,
        0x1000 => FileKind.Fifo,
        0xC000 => FileKind.Socket,
        _ => FileKind.Other,
    };

    /// <summary>
    /// Opens <paramref name="path"/> without following a symbolic link in its last component: a link there is an
    /// error (ELOOP), not a detour into whatever it points at. Append mode creates the file if it is missing.
    /// </summary>
    public static FileStream OpenNoFollow(string path, bool append)
    {
        if (!OperatingSystem.IsLinux())
        {
            if (Of(path, followLinks: false) == FileKind.SymbolicLink) throw new IOException($"{path} is a symbolic link");
            return append
                ? new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)
                : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        var handle = Posix.Open(path, append);
        return new FileStream(handle, append ? FileAccess.Write : FileAccess.Read, 1 << 12);
    }

    private static partial class Posix
    {
        private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100;
        private const uint StatxType = 0x1, StatxMode = 0x2, StatxSize = 0x200;
        private const int ENOENT = 2, ENOTDIR = 20, ELOOP = 40;
        private static bool _statxMissing;

        [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        private static unsafe partial int StatxNative(int dirfd, string path, int flags, uint mask, byte* buffer);

        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        private static partial int OpenNative(string path, int flags, int mode);

        /// <summary>True with the mode when the path exists, false when it does not, null when statx is unavailable.</summary>
        public static unsafe bool? Statx(string path, bool follow, out uint mode, out long size)
        {
            mode = 0;
            size = -1;
            if (_statxMissing) return null;
            // struct statx is 256 bytes: stx_mode (u16) at 28, stx_size (u64) at 40.
            byte* buffer = stackalloc byte[256];
            int rc;
            try { rc = StatxNative(AtFdCwd, path, follow ? 0 : AtSymlinkNoFollow, StatxType | StatxMode | StatxSize, buffer); }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
            {
                _statxMissing = true;
                return null;
            }
            if (rc != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is ENOENT or ENOTDIR or ELOOP) return false;
                throw new IOException($"{path}: cannot inspect it ({Marshal.GetPInvokeErrorMessage(errno)})");
            }
            mode = *(ushort*)(buffer + 28);
            size = *(long*)(buffer + 40);
            return true;
        }

        public static Microsoft.Win32.SafeHandles.SafeFileHandle Open(string path, bool append)
        {
            // O_NOFOLLOW is 0400000 on x86 and the generic ABI, 0100000 on ARM; the other flags are common.
            int noFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64 ? 0x8000 : 0x20000;
            const int ReadOnly = 0, WriteOnly = 1, Create = 0x40, Append = 0x400, CloseOnExec = 0x80000;
            int flags = (append ? WriteOnly | Create | Append : ReadOnly) | noFollow | CloseOnExec;
            int fd = OpenNative(path, flags, Convert.ToInt32("644", 8));
            if (fd < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw errno == ELOOP
                    ? new IOException($"{path} is a symbolic link; it is not followed")
                    : errno == ENOENT ? new FileNotFoundException($"{path} not found", path)
                    : new IOException($"{path}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
            return new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        }
    }
}
