using System.Runtime.InteropServices;
using Outlive.Interop;

namespace Outlive.Spawn;

/// <summary>
/// Reaps the children Outlive started, and only those: .NET reaps only processes it started itself,
/// so without this every exited detached child would stay a zombie while the parent lives.
/// One background thread waits on the children's pidfds with epoll and reaps each with
/// waitid(P_PIDFD) — never waitpid(-1) and never SIGCHLD=SIG_IGN, which would break the runtime's own reaping.
/// Without pidfds (kernel &lt; 5.4) a second thread asks waitid(P_PID, WNOHANG) for each child it knows, woken by
/// SIGCHLD and every <see cref="PollInterval"/>: it waits only on PIDs Outlive spawned, which stay ours (a zombie
/// until we reap it), so no PID can be reused under it.
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

    // Without pidfds: the children by PID, and the polling thread's wake-up. SIGCHLD is observed through the runtime
    // (PosixSignalRegistration, not cancelled), so the runtime's own handling of it, and Process, keep working; the
    // registration is kept in a field because a collected one unregisters. The interval is the safety net for native
    // code that takes SIGCHLD over.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private readonly Dictionary<int, TaskCompletionSource<ExitStatus?>> _polled = [];
    private readonly AutoResetEvent _pollWake = new(false);
    private PosixSignalRegistration? _sigchld;

    private ChildReaper()
    {
        _epoll = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        if (_epoll < 0)
            throw new ChildStartException($"cannot watch children: epoll_create1 failed: {Libc.StrError(Marshal.GetLastPInvokeError())}", Marshal.GetLastPInvokeError());
        StartThread();
    }

    /// <summary>
    /// Starts <see cref="Run"/> on a thread of its own without waiting for it: NativeAOT's Thread.Start yields until the
    /// new thread runs (hundreds of sched_yields under load, on the first start's path), so where glibc exports
    /// pthread_create (2.34) the thread is made natively and enters the runtime when it first runs managed code. The
    /// pidfds registered before it runs wait in the epoll set. Elsewhere, a managed thread.
    /// </summary>
    private unsafe void StartThread()
    {
        var create = Libc.pthread_create;
        var detach = Libc.pthread_detach;
        if (create != null && detach != null)
        {
            // The reaper lives as long as the process: its handle is never freed.
            nint self = GCHandle.ToIntPtr(GCHandle.Alloc(this));
            nuint thread;
            if (create(&thread, null, &RunNative, self) == 0)
            {
                detach(thread);
                return;
            }
            GCHandle.FromIntPtr(self).Free();
        }
        new Thread(Run) { IsBackground = true, Name = "outlive-reaper" }.Start();
    }

    [UnmanagedCallersOnly]
    private static nint RunNative(nint self)
    {
        Libc.NameThisThread("outlive-reaper\0"u8);
        ((ChildReaper)GCHandle.FromIntPtr(self).Target!).Run();
        return 0;
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
                return _watched.Count + _polled.Count;
        }
    }

    /// <summary>
    /// Completes when the child exits; with null when someone else reaped it first (ECHILD: the runtime
    /// reaps every child when it runs as PID 1, and so does the kernel when SIGCHLD is ignored).
    /// </summary>
    internal Task<ExitStatus?> Watch(int pid) => PidFds.Usable ? WatchPidFd(pid) : WatchPid(pid);

    private Task<ExitStatus?> WatchPidFd(int pid)
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

    private Task<ExitStatus?> WatchPid(int pid)
    {
        var exited = new TaskCompletionSource<ExitStatus?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_sigchld is null)
            {
                _sigchld = PosixSignalRegistration.Create(PosixSignal.SIGCHLD, _ => _pollWake.Set());
                new Thread(Poll) { IsBackground = true, Name = "outlive-reaper-pid" }.Start();
            }
            _polled[pid] = exited;
        }
        // The child may have exited before it was listed: the wake-up makes the thread look at it now.
        _pollWake.Set();
        return exited.Task;
    }

    private void Poll()
    {
        List<int> pids = [];
        while (true)
        {
            pids.Clear();
            lock (_lock)
                pids.AddRange(_polled.Keys);
            foreach (int pid in pids)
                TryReap(pid);
            // A child listed or exiting after the snapshot sets the event, so this wait returns at once.
            _pollWake.WaitOne(pids.Count == 0 ? Timeout.InfiniteTimeSpan : PollInterval);
        }
    }

    private void TryReap(int pid)
    {
        Libc.SigInfo info = default;
        ExitStatus? status = null;
        if (Libc.waitid(Libc.P_PID, pid, &info, Libc.WEXITED | Libc.WNOHANG) == 0)
        {
            if (info.Pid == 0)
                return;
            status = StatusOf(info);
        }
        else if (Marshal.GetLastPInvokeError() == Libc.EINTR)
        {
            return;
        }
        TaskCompletionSource<ExitStatus?>? exited;
        lock (_lock)
        {
            if (!_polled.Remove(pid, out exited))
                return;
        }
        exited.SetResult(status);
    }

    private static ExitStatus StatusOf(in Libc.SigInfo info) =>
        info.Code == Libc.CLD_EXITED ? new ExitStatus(info.Status, null) : new ExitStatus(null, info.Status);

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
            status = StatusOf(info);
        // Closing the pidfd also takes it out of the epoll set.
        child.PidFd.Dispose();
        child.Exited.SetResult(status);
    }
}
