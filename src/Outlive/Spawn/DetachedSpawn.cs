using System.Text;
using System.Runtime.InteropServices;
using Outlive.Interop;
using Outlive.Procfs;

namespace Outlive.Spawn;

/// <summary>A started child as the spawn layer knows it; <see cref="DetachedProcess"/> is its public face.</summary>
internal sealed record SpawnedChild(int Pid, ProcessIdentity Identity, string ExecutablePath, Task<ExitStatus?> Exited);

/// <summary>
/// posix_spawn of a detached child: new session, no controlling terminal, clean signal state, only the fds
/// it was given. Every input is checked before anything starts, so errors name the file or user.
/// </summary>
internal static class DetachedSpawn
{
    /// <summary>Starts the child; throws a <see cref="ChildStartException"/> and leaves nothing running on failure.</summary>
    internal static SpawnedChild Start(DetachedStartInfo info)
    {
        Prepared prepared = Prepare(info);
        (int pid, ProcessIdentity identity) = Launch(prepared, prepared.Request);
        return new SpawnedChild(pid, identity, prepared.Request.ExecutablePath, ChildReaper.Shared.Watch(pid));
    }

    /// <summary>Everything checked and resolved before any process exists, so errors name the file or user.</summary>
    internal sealed record Prepared(NativeSpawn.Request Request, Libc.UserEntry? User, uint? Gid, int? Umask, DetachedStartInfo Info);

    internal static Prepared Prepare(DetachedStartInfo info)
    {
        string? workingDirectory = CheckWorkingDirectory(info.WorkingDirectory);
        Libc.UserEntry? user = info.User is null ? null : LookupUser(info.User);
        uint? gid = info.Group is null ? user?.Gid : LookupGroup(info.Group);
        if ((info.User ?? info.Group) is not null && !Environment.IsPrivilegedProcess)
            throw new ChildStartException($"starting as another user or group needs root: run as root or drop --user/--group", Libc.EPERM);

        EnvironmentBlock environment = ChildEnvironment.Build(info, user);
        string executable = ProgramResolver.Resolve(info.Program, environment.Find("PATH"), workingDirectory);
        CheckOutput(info.StandardOutput);
        CheckOutput(info.StandardError);

        var request = new NativeSpawn.Request(
            executable,
            [Encoding.UTF8.GetBytes(info.Program), .. info.ArgumentBytes ?? info.Arguments.Select(Encoding.UTF8.GetBytes)],
            environment,
            workingDirectory,
            info.StandardOutput.IdentifiedAs(Path.GetFileName(info.Program)),
            info.StandardError.IdentifiedAs(Path.GetFileName(info.Program)),
            info.PassedFds);
        return new Prepared(request, user, gid, info.Umask, info);
    }

    /// <summary>Spawns <paramref name="request"/> with the prepared credentials and captures the child's identity.</summary>
    internal static (int Pid, ProcessIdentity Identity) Launch(Prepared prepared, NativeSpawn.Request request)
    {
        long before = StartTime.BootClockNow();
        (int pid, int errno) = WithChildCredentials(prepared, () => (NativeSpawn.Spawn(request, out int error), error));
        long after = StartTime.BootClockNow();
        if (pid < 0)
            throw FromErrno(errno, request.ExecutablePath, prepared.Info);

        // The clock readings around the spawn give the start time without a read of /proc, unless a tick ended in
        // between; then read it before the reaper can reap a child that exits at once (a zombie still has its stat).
        if (StartTime.OfProcessMadeBetween(before, after) is { } ticks)
            return (pid, new ProcessIdentity(pid, ticks, BootId.Current));
        return (pid, ProcessIdentity.TryCapture(pid) ?? new ProcessIdentity(pid, 0, BootId.Current));
    }

    /// <summary>
    /// Runs <paramref name="action"/> with the child's uid, gid, groups and umask: what it opens or spawns, it does as
    /// the child would. umask, uid and gid are per-thread in the kernel (after unshare(CLONE_FS) for the umask), and
    /// posix_spawn's child copies them from the calling thread; a throwaway thread keeps the rest of the process
    /// untouched, and nothing has to be restored. Without any of them, runs on the calling thread.
    /// </summary>
    internal static T WithChildCredentials<T>(Prepared prepared, Func<T> action) =>
        OnThreadAs(prepared.User, prepared.Gid, prepared.Umask, action);

    /// <summary>
    /// Runs <paramref name="action"/> as user <paramref name="uid"/> (its gid and groups too): a file that user controls
    /// is opened with no more privilege than that user has.
    /// </summary>
    internal static T AsUser<T>(uint uid, Func<T> action)
    {
        Libc.UserEntry user = Libc.LookupUser(uid.ToString(System.Globalization.CultureInfo.InvariantCulture))
            ?? new Libc.UserEntry(uid.ToString(System.Globalization.CultureInfo.InvariantCulture), uid, uid, "/");
        return OnThreadAs(user, null, null, action);
    }

    private static T OnThreadAs<T>(Libc.UserEntry? user, uint? gid, int? umask, Func<T> action)
    {
        if (user is null && gid is null && umask is null)
            return action();
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                if (umask is { } mask)
                {
                    if (Libc.unshare(Libc.CLONE_FS) != 0)
                        throw new ChildStartException($"unshare(CLONE_FS) failed: {Libc.StrError(Marshal.GetLastPInvokeError())}", Marshal.GetLastPInvokeError());
                    Libc.umask((uint)mask);
                }
                if (user is { } u)
                    SwitchThreadCredentials(u, gid ?? u.Gid);
                else if (gid is { } g)
                    CheckCredentialCall(Libc.ThreadSetResGid(g), $"gid {g}");
                result = action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        })
        { IsBackground = true, Name = "outlive-as-child" };
        thread.Start();
        thread.Join();
        if (failure is not null)
            throw failure;
        return result;
    }

    private static unsafe void SwitchThreadCredentials(Libc.UserEntry user, uint gid)
    {
        int count = 64;
        uint* groups = stackalloc uint[64];
        if (Libc.getgrouplist(user.Name, gid, groups, &count) < 0)
            count = Math.Min(count, 64);
        CheckCredentialCall(Libc.ThreadSetGroups(new ReadOnlySpan<uint>(groups, count)), $"groups of {user.Name}");
        CheckCredentialCall(Libc.ThreadSetResGid(gid), $"gid {gid}");
        CheckCredentialCall(Libc.ThreadSetResUid(user.Uid), $"user {user.Name}");
    }

    private static void CheckCredentialCall(int rc, string what)
    {
        if (rc != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new ChildStartException($"cannot switch to {what}: {Libc.StrError(errno)}", errno);
        }
    }

    /// <summary>The full path of the working directory asked for; null for this process's.</summary>
    private static string? CheckWorkingDirectory(string? directory)
    {
        if (directory is null)
            return null;
        string full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
        {
            int errno = File.Exists(full) ? Libc.ENOTDIR : Libc.ENOENT;
            throw new ChildStartException(
                $"working directory {(errno == Libc.ENOTDIR ? "is not a directory" : "does not exist")}: {full}: create it or pick another --cwd",
                errno, full);
        }
        return full;
    }

    private static Libc.UserEntry LookupUser(string user) =>
        Libc.LookupUser(user) ?? throw new ChildStartException($"unknown user '{user}': check the name with 'getent passwd {user}'", 0);

    private static uint LookupGroup(string group) =>
        Libc.LookupGroup(group) ?? throw new ChildStartException($"unknown group '{group}': check the name with 'getent group {group}'", 0);

    /// <summary>
    /// Checked before anything starts (a service's files are opened by systemd, the others again when spawning): the
    /// directory must exist, and the path must be a regular file unless the target allows special files.
    /// </summary>
    private static void CheckOutput(OutputTarget target)
    {
        if (target.Kind == OutputKind.Journal && !File.Exists(JournalStream.SocketPath))
            throw new ChildStartException($"the journal's socket {JournalStream.SocketPath} is not there (systemd-journald is not running): name a file instead", Libc.ENOENT, JournalStream.SocketPath);
        if (target.Kind != OutputKind.File)
            return;
        string path = target.Path!;
        string? dir = Path.GetDirectoryName(path);
        if (dir is not null && !Directory.Exists(dir))
            throw new ChildStartException($"output directory does not exist: {dir}: create it or pick another file for {path}", Libc.ENOENT, path);
        if (Directory.Exists(path))
            throw new ChildStartException($"output path is a directory: {path}: give a file path", Libc.EINVAL, path);
        if (!target.AllowsSpecialFile && Libc.statx(Libc.AT_FDCWD, path, 0, Libc.STATX_BASIC_STATS, out Libc.Statx stat) == 0 && stat.FileType != Libc.S_IFREG)
            throw new ChildStartException(
                $"output file {path} is not a regular file (a FIFO, socket or device): refused, it can block or vanish; name a regular file, or allow it (--allow-special-output)",
                Libc.EINVAL, path);
    }

    private static ChildStartException FromErrno(int errno, string executable, DetachedStartInfo info) => errno switch
    {
        Libc.ENOENT => new ProgramNotFoundException(
            $"cannot execute {executable}: {Libc.StrError(errno)} (a script's interpreter, or a file it needs, is missing)", errno, executable),
        Libc.EACCES or Libc.ENOEXEC or Libc.EPERM => new ProgramNotExecutableException(
            $"cannot execute {executable}{(info.User is null ? "" : $" as {info.User}")}: {Libc.StrError(errno)}", errno, executable),
        _ => new ChildStartException($"cannot start {executable}: {Libc.StrError(errno)}", errno, executable),
    };
}
