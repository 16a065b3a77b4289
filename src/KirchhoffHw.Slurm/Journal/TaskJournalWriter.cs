using System.Runtime.InteropServices;
using System.Text;
using KirchhoffHw.Model;

namespace KirchhoffHw.Slurm.Journal;

/// <summary>
/// Appends lines to one array task's journal (<see cref="TaskJournal.FileFor"/>). Each task owns its file, so
/// there is never a second writer; the exclusive lock taken on open turns a violation (a task resubmitted
/// while its first run still writes) into a clear error instead of interleaved lines. The file is opened
/// O_NOFOLLOW, so a link planted in a shared journal folder is never written through. A line cut short by a
/// killed writer is closed with a newline before the next entry, so only that line is lost.
/// </summary>
public sealed class TaskJournalWriter : IDisposable
{
    private int _fd;

    public string Path { get; }

    /// <summary>Flush every line to disk before <see cref="Append(string)"/> returns (on by default).</summary>
    public bool Durable { get; init; } = true;

    private TaskJournalWriter(string path, int fd)
    {
        Path = path;
        _fd = fd;
    }

    public static TaskJournalWriter Open(string path)
    {
        if (!Posix.IsLinux) throw new PlatformNotSupportedException("task journals are written on Linux");
        var full = System.IO.Path.GetFullPath(path);
        // the journal folder itself is never a link either: O_NOFOLLOW guards only the last name
        Model.IO.OutputPath.CreateFolder(System.IO.Path.GetDirectoryName(full)!);
        var fd = Posix.Open(full, Posix.AppendFlags, Convert.ToInt32("644", 8));
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new KirchhoffHwException(full, errno == Posix.ELOOP
                ? "task journal is a symbolic link: refusing to write through it"
                : $"cannot open task journal: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        try
        {
            if (!Posix.TryLockExclusive(fd))
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new KirchhoffHwException(full, errno == Posix.EWOULDBLOCK
                    ? "task journal is being written by another process: two runs of one array task at once " +
                      "(cancel the first before resubmitting it)"
                    : $"cannot lock task journal: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
            var size = Posix.Seek(fd, 0, Posix.SEEK_END);
            if (size > 0 && Posix.ReadByteAt(fd, size - 1) != '\n') Posix.WriteAll(fd, "\n"u8);
            return new TaskJournalWriter(full, fd);
        }
        catch
        {
            Posix.Close(fd);
            throw;
        }
    }

    /// <summary>Appends one line (no line breaks inside) in a single write.</summary>
    public void Append(string line)
    {
        if (line.AsSpan().IndexOfAny('\n', '\r') >= 0) throw new ArgumentException("a journal line holds no line break", nameof(line));
        var bytes = new byte[Encoding.UTF8.GetByteCount(line) + 1];
        Encoding.UTF8.GetBytes(line, bytes);
        bytes[^1] = (byte)'\n';
        Append(bytes);
    }

    private void Append(ReadOnlySpan<byte> lineWithNewline)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        Posix.WriteAll(_fd, lineWithNewline);
        if (Durable && Posix.Fsync(_fd) != 0) throw new IOException($"{Path}: {Marshal.GetLastPInvokeErrorMessage()}");
    }

    public void Dispose()
    {
        if (_fd < 0) return;
        Posix.Close(_fd);
        _fd = -1;
    }
}
