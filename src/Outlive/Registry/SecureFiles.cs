using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Outlive.Interop;

namespace Outlive.Registry;

/// <summary>
/// File operations that never follow a symlink planted in a shared directory and never expose a
/// half-written file: opens use O_NOFOLLOW, writes go to a complete temp file that is then renamed.
/// </summary>
internal static class SecureFiles
{
    internal const uint OwnerReadWrite = 0x180; // 0600
    internal const uint OwnerOnlyDirectory = 0x1C0; // 0700
    internal const uint PublicReadable = 0x1A4; // 0644

    /// <summary>Opens <paramref name="path"/> without following a final symlink; returns the errno on failure.</summary>
    internal static SafeFileHandle? TryOpen(string path, int flags, uint mode, out int errno)
    {
        int fd = Libc.open(path, flags | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, mode);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// Opens <paramref name="name"/> in the directory <paramref name="dirFd"/> without following a final symlink: a raw fd
    /// (the caller closes it), so reading thousands of entries makes no SafeHandle each. -1 and the errno on failure.
    /// </summary>
    internal static int TryOpenAt(int dirFd, string name, int flags, out int errno)
    {
        int fd = Libc.openat(dirFd, name, flags | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd;
    }

    /// <summary>
    /// The names in <paramref name="dir"/> that do not start with '.' and end with one of two suffixes, sorted into two
    /// lists in one getdents64 pass over its descriptor; only those names become strings.
    /// </summary>
    internal static unsafe void ReadDirectory(SafeFileHandle dir, string path,
        ReadOnlySpan<byte> firstSuffix, List<string> first, ReadOnlySpan<byte> secondSuffix, List<string> second)
    {
        const int BufferSize = 32 * 1024;
        byte* buffer = stackalloc byte[BufferSize];
        int fd = (int)dir.DangerousGetHandle();
        while (true)
        {
            nint length = Libc.getdents64(fd, buffer, BufferSize);
            if (length < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR)
                continue;
            if (length < 0)
                throw Failure(path, "read", Marshal.GetLastPInvokeError());
            if (length == 0)
                return;
            // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), then d_name, NUL-terminated.
            for (nint offset = 0; offset < length; offset += *(ushort*)(buffer + offset + 16))
            {
                var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(buffer + offset + 19);
                if (name[0] == (byte)'.')
                    continue; // ".", "..", the lock and temp files: never an entry or a reservation
                if (name.EndsWith(firstSuffix))
                    first.Add(System.Text.Encoding.UTF8.GetString(name));
                else if (name.EndsWith(secondSuffix))
                    second.Add(System.Text.Encoding.UTF8.GetString(name));
            }
        }
    }

    /// <summary>Removes the file (a symlink itself, never its target); nothing to do when it or its dir is missing.</summary>
    internal static void DeleteIfPresent(string path)
    {
        if (Libc.unlink(path) != 0 && Marshal.GetLastPInvokeError() is not (Libc.ENOENT or Libc.ENOTDIR))
            throw Failure(path, "remove", Marshal.GetLastPInvokeError());
    }

    /// <summary>"MAJOR:MINOR:INODE" of the file at <paramref name="path"/> (not following a symlink); null when there is none.</summary>
    internal static string? IdentityOf(string? path) =>
        path is not null && LStat(path) is { } stat ? IdentityOf(stat) : null;

    internal static string IdentityOf(Libc.Statx stat) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{stat.DevMajor}:{stat.DevMinor}:{stat.Inode}");

    internal static SafeFileHandle Open(string path, int flags, uint mode) =>
        TryOpen(path, flags, mode, out int errno) ?? throw Failure(path, "open", errno);

    internal static Libc.Statx Stat(SafeFileHandle file, string path) => Stat((int)file.DangerousGetHandle(), path);

    internal static Libc.Statx Stat(int fd, string path)
    {
        if (Libc.statx(fd, "", Libc.AT_EMPTY_PATH, Libc.STATX_BASIC_STATS, out var stx) != 0)
            throw Failure(path, "stat", Marshal.GetLastPInvokeError());
        return stx;
    }

    /// <summary>lstat: describes a symlink itself, not its target; null when nothing is at <paramref name="path"/>.</summary>
    internal static Libc.Statx? LStat(string path)
    {
        if (Libc.statx(Libc.AT_FDCWD, path, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, out var stx) == 0)
            return stx;
        int errno = Marshal.GetLastPInvokeError();
        return errno is Libc.ENOENT or Libc.ENOTDIR ? null : throw Failure(path, "stat", errno);
    }

    /// <remarks>Plain read(2): RandomAccess would first lseek to learn whether the fd can seek, once per entry.</remarks>
    internal static byte[] ReadAll(SafeFileHandle file, long length)
    {
        var content = new byte[length];
        int total = Read((int)file.DangerousGetHandle(), content);
        return total == content.Length ? content : content[..total];
    }

    /// <summary>Reads until <paramref name="content"/> is full or the file ends; the number of bytes read.</summary>
    internal static unsafe int Read(int fd, Span<byte> content)
    {
        int total = 0;
        fixed (byte* buffer = content)
        {
            while (total < content.Length)
            {
                nint n = Libc.read(fd, buffer + total, (nuint)(content.Length - total));
                if (n < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR)
                    continue;
                if (n <= 0)
                    break;
                total += (int)n;
            }
        }
        return total;
    }

    /// <summary>
    /// Replaces the registry file <paramref name="path"/> in one rename: readers see the old file or the complete new one.
    /// Not fsynced: the registry describes processes of this boot only, all dead after a power loss, so the half-millisecond
    /// or so an fsync costs on disk buys nothing. What a power loss can leave (an empty or cut entry) reads as a corrupted
    /// entry, reported and skipped; an unreadable reservation counts as stale.
    /// </summary>
    internal static void WriteAtomically(string path, ReadOnlySpan<byte> content, uint mode)
    {
        using var pending = PendingFile.Create(path, content, mode, locked: false, durable: false);
        pending.Replace();
    }

    /// <summary>Takes an exclusive flock on <paramref name="lockPath"/> (created 0600); released on dispose.</summary>
    internal static SafeFileHandle LockExclusive(string lockPath)
    {
        var file = Open(lockPath, Libc.O_RDWR | Libc.O_CREAT, OwnerReadWrite);
        while (Libc.flock((int)file.DangerousGetHandle(), Libc.LOCK_EX) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.EINTR)
            {
                file.Dispose();
                throw Failure(lockPath, "lock", errno);
            }
        }
        return file; // closing the descriptor releases the lock
    }

    internal static string RandomHex(int bytes) => Convert.ToHexStringLower(Libc.RandomBytes(bytes));

    /// <summary>Permission problems get the registry's own error (exit 7, with the fix); anything else stays an I/O error.</summary>
    internal static OutliveException Failure(string path, string operation, int errno) => errno is Libc.EACCES or Libc.EPERM
        ? new PermissionDeniedException(
            $"cannot {operation} {path}: {Libc.StrError(errno)}; pass --state-dir (or OUTLIVE_STATE_DIR) naming a directory you own")
        : new OutliveIOException($"cannot {operation} {path}: {Libc.StrError(errno)}");
}

/// <summary>A complete temp file next to its target, waiting to be renamed into place (deleted if never placed).</summary>
internal sealed class PendingFile : IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly string _temp;
    private readonly string _target;
    private bool _placed;

    private PendingFile(SafeFileHandle file, string temp, string target) => (_file, _temp, _target) = (file, temp, target);

    /// <summary>Writes <paramref name="content"/> with <paramref name="mode"/> to a temp file beside <paramref name="target"/>.</summary>
    /// <param name="target">Where the file goes once placed.</param>
    /// <param name="content">The whole file.</param>
    /// <param name="mode">Exact permission bits (the umask does not apply).</param>
    /// <param name="locked">Hold an exclusive flock on the file until disposed, so lock-taking readers wait for us.</param>
    /// <param name="durable">fsync the content before it can be placed, so the file survives a power loss whole.</param>
    internal static PendingFile Create(string target, ReadOnlySpan<byte> content, uint mode, bool locked, bool durable)
    {
        string temp = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{SecureFiles.RandomHex(4)}.tmp");
        var file = SecureFiles.Open(temp, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL, mode);
        var pending = new PendingFile(file, temp, target);
        try
        {
            int fd = (int)file.DangerousGetHandle();
            if (locked && Libc.flock(fd, Libc.LOCK_EX) != 0)
                throw SecureFiles.Failure(temp, "lock", Marshal.GetLastPInvokeError());
            // The umask may have narrowed the mode given to open; set exactly what we promise.
            if (Libc.fchmod(fd, mode) != 0)
                throw SecureFiles.Failure(temp, "chmod", Marshal.GetLastPInvokeError());
            RandomAccess.Write(file, content, 0);
            if (durable && Libc.fsync(fd) != 0)
                throw SecureFiles.Failure(temp, "fsync", Marshal.GetLastPInvokeError());
            return pending;
        }
        catch
        {
            pending.Dispose();
            throw;
        }
    }

    /// <summary>Renames over the target, whatever is there.</summary>
    internal void Replace()
    {
        if (Libc.rename(_temp, _target) != 0)
            throw SecureFiles.Failure(_target, "rename", Marshal.GetLastPInvokeError());
        _placed = true;
    }

    /// <summary>Renames into place only if nothing is at the target; false when something appeared there.</summary>
    internal bool TryPlaceNew()
    {
        if (Libc.renameat2(Libc.AT_FDCWD, _temp, Libc.AT_FDCWD, _target, Libc.RENAME_NOREPLACE) == 0)
            return _placed = true;
        int errno = Marshal.GetLastPInvokeError();
        return errno == Libc.EEXIST ? false : throw SecureFiles.Failure(_target, "rename", errno);
    }

    public void Dispose()
    {
        if (!_placed)
            File.Delete(_temp);
        _file.Dispose();
    }
}
