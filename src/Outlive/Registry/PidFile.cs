using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Outlive.Interop;

namespace Outlive.Registry;

/// <summary>
/// A classic PID file: the PID and a newline, mode 0644 so other tools can read it. Written by rename, so it is
/// never seen half-written; writers and removers hold its flock, the way daemons and start-stop-daemon lock theirs.
/// </summary>
internal static class PidFile
{
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(2);

    /// <summary>Throws <see cref="ConflictException"/> when <paramref name="path"/> names a live process; call before starting the child.</summary>
    public static void EnsureAvailable(string path)
    {
        path = Path.GetFullPath(path);
        CheckDirectory(path);
        using var file = SecureFiles.TryOpen(path, Libc.O_RDONLY | Libc.O_NONBLOCK, 0, out _);
        if (file is not null && ExistingPid(file, path) is int owner && IsLive(owner))
            throw Taken(path, owner);
    }

    /// <summary>The PID file's directory must exist, and the path must not be a directory.</summary>
    public static void CheckDirectory(string path)
    {
        path = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
            throw new ChildStartException($"pid file directory {directory} does not exist: create it or choose another --pidfile", Libc.ENOENT, path);
        if (Directory.Exists(path))
            throw new ChildStartException($"pid file {path} is a directory: choose a file path for --pidfile", Libc.EISDIR, path);
    }

    /// <summary>The PID in the file; null when there is no file or it holds no PID.</summary>
    public static int? TryRead(string path)
    {
        using var file = SecureFiles.TryOpen(Path.GetFullPath(path), Libc.O_RDONLY | Libc.O_NONBLOCK, 0, out _);
        return file is null ? null : ParsePid(file);
    }

    /// <summary>Writes <paramref name="pid"/> to <paramref name="path"/>, unless it names another live process.</summary>
    public static void Write(string path, int pid)
    {
        path = Path.GetFullPath(path);
        using var pending = PendingFile.Create(
            path, Encoding.ASCII.GetBytes(pid.ToString(CultureInfo.InvariantCulture) + "\n"), SecureFiles.PublicReadable, locked: true, durable: true);
        while (true)
        {
            using var existing = OpenLocked(path);
            if (existing is null)
            {
                if (pending.TryPlaceNew())
                    return;
                continue; // another writer placed one just now: check theirs
            }
            if (ExistingPid(existing, path) is int owner && owner != pid && IsLive(owner))
                throw Taken(path, owner);
            pending.Replace();
            return;
        }
    }

    /// <summary>Deletes the file if it still names <paramref name="pid"/> (a newer owner's file is left alone).</summary>
    public static bool Remove(string path, int pid)
    {
        path = Path.GetFullPath(path);
        using var existing = OpenLocked(path);
        if (existing is null || ParsePid(existing) != pid)
            return false;
        File.Delete(path);
        return true;
    }

    /// <summary>Opens and flocks the file now at <paramref name="path"/>; null when there is none.</summary>
    private static SafeFileHandle? OpenLocked(string path)
    {
        long deadline = Environment.TickCount64 + (long)LockWait.TotalMilliseconds;
        while (true)
        {
            var file = SecureFiles.TryOpen(path, Libc.O_RDONLY | Libc.O_NONBLOCK, 0, out int errno);
            if (file is null)
            {
                return errno switch
                {
                    Libc.ENOENT => null,
                    Libc.ELOOP => throw new ConflictException($"pid file {path} is a symlink; remove it or choose another --pidfile"),
                    _ => throw SecureFiles.Failure(path, "open", errno),
                };
            }
            if (Libc.flock((int)file.DangerousGetHandle(), Libc.LOCK_EX | Libc.LOCK_NB) == 0)
            {
                // A writer may have renamed a new file over the path while we waited: then lock that one instead.
                if (IsStillAt(file, path))
                    return file;
            }
            else if (Marshal.GetLastPInvokeError() is not (Libc.EAGAIN or Libc.EINTR))
            {
                int error = Marshal.GetLastPInvokeError();
                file.Dispose();
                throw SecureFiles.Failure(path, "lock", error);
            }
            file.Dispose();
            if (Environment.TickCount64 > deadline)
                throw new ConflictException($"pid file {path} is locked by another process; stop it or choose another --pidfile");
            Thread.Sleep(20);
        }
    }

    private static bool IsStillAt(SafeFileHandle file, string path)
    {
        var opened = SecureFiles.Stat(file, path);
        return SecureFiles.LStat(path) is { } now
            && now.Inode == opened.Inode && now.DevMajor == opened.DevMajor && now.DevMinor == opened.DevMinor;
    }

    /// <summary>
    /// The PID an existing PID file holds; null when it is empty. A file that is not regular, or holds anything but a PID,
    /// is not one Outlive (or any daemon) wrote: it is someone's file, and is neither overwritten nor ever deleted.
    /// </summary>
    private static int? ExistingPid(SafeFileHandle file, string path)
    {
        if (SecureFiles.Stat(file, path).FileType != Libc.S_IFREG)
            throw new ConflictException($"pid file {path} is not a regular file; choose another --pidfile");
        string text = Encoding.ASCII.GetString(SecureFiles.ReadAll(file, 64)).Trim();
        if (text.Length == 0)
            return null;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0
            ? pid
            : throw new ConflictException($"pid file {path} holds something that is not a PID, so it is not a PID file: remove it or choose another --pidfile");
    }

    private static int? ParsePid(SafeFileHandle file)
    {
        string text = Encoding.ASCII.GetString(SecureFiles.ReadAll(file, 32));
        return int.TryParse(text.AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0 ? pid : null;
    }

    /// <summary>A PID file names a bare PID, so "live" is all that can be told: kill(0) finds it (EPERM: it exists, not ours).</summary>
    private static bool IsLive(int pid) => Libc.kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == Libc.EPERM;

    private static ConflictException Taken(string path, int owner) =>
        new($"pid file {path} names running pid {owner}; stop it or choose another --pidfile");
}
