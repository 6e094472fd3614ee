using System.Runtime.InteropServices;
using Outlive.Interop;

namespace Outlive.Spawn;

/// <summary>
/// Reaps the children Outlive started, and only those: .NET reaps only processes it started itself,
/// so without this every exited detached child would stay a zombie while the parent lives.
/// One background thread waits on the children's pidfds with epoll and reaps each with
/// waitid(P_PIDFD) — never waitpid(-1) and never SIGCHLD=SIG_IGN, which would break the runtime's own reaping.
/// </summary>
internal sealed unsafe class ChildReaper
{
    // Made on first use under a lock, not a Lazy: a failed first try (EMFILE, say) is not remembered for the life of
    // the process, and two racing callers never start two reaper threads.
    private static readonly Lock s_sharedLock = new();
    private static ChildReaper? s_shared;

    private readonly int _epoll;
    private readonly Lock _lock = new();
    private readonly Dictionary<int, (SafePidFdHandle PidFd, TaskCompletionSource<ExitStatus?> Exited)> _watched = [];

    private ChildReaper()
    {
        _epoll = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        if (_epoll < 0)
            throw new ChildStartException($"cannot watch children: epoll_create1 failed: {Libc.StrError(Marshal.GetLastPInvokeError())}", Marshal.GetLastPInvokeError());
        new Thread(Run) { IsBackground = true, Name = "outlive-reaper" }.Start();
    }

    internal static ChildReaper Shared
    {
        get
        {
            lock (s_sharedLock)
                return s_shared ??= new ChildReaper();
        }
    }

    internal int WatchedCount
    {
        get
        {
            lock (_lock)
                return _watched.Count;
        }
    }

    /// <summary>
    /// Completes when the child exits; with null when someone else reaped it first (ECHILD: the runtime
    /// reaps every child when it runs as PID 1, and so does the kernel when SIGCHLD is ignored).
    /// </summary>
    internal Task<ExitStatus?> Watch(int pid)
    {
        SafePidFdHandle pidFd = Libc.pidfd_open(pid, 0);
        if (pidFd.IsInvalid)
        {
            pidFd.Dispose();
            return Task.FromResult<ExitStatus?>(null);
        }
        var exited = new TaskCompletionSource<ExitStatus?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
            _watched[pidFd.Fd] = (pidFd, exited);
        if (Libc.EpollAdd(_epoll, pidFd.Fd, Libc.EPOLLIN, (ulong)pidFd.Fd) != 0)
        {
            // The child runs already: a start must not fail now. It is just not watched (its status stays unknown).
            lock (_lock)
                _watched.Remove(pidFd.Fd);
            pidFd.Dispose();
            return Task.FromResult<ExitStatus?>(null);
        }
        return exited.Task;
    }

    private void Run()
    {
        Span<ulong> ready = stackalloc ulong[64];
        while (true)
        {
            int n = Libc.EpollWait(_epoll, ready, -1);
            for (int i = 0; i < n; i++)
                Reap((int)ready[i]);
        }
    }

    private void Reap(int fd)
    {
        (SafePidFdHandle PidFd, TaskCompletionSource<ExitStatus?> Exited) child;
        lock (_lock)
        {
            if (!_watched.Remove(fd, out child))
                return;
        }
        Libc.SigInfo info;
        ExitStatus? status = null;
        if (Libc.waitid(Libc.P_PIDFD, fd, &info, Libc.WEXITED) == 0)
        {
            status = info.Code == Libc.CLD_EXITED
                ? new ExitStatus(info.Status, null)
                : new ExitStatus(null, info.Status);
        }
        // Closing the pidfd also takes it out of the epoll set.
        child.PidFd.Dispose();
        child.Exited.SetResult(status);
    }
}
