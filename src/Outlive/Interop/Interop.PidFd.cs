using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Outlive.Interop;

internal static partial class Libc
{
    // Through syscall(2): glibc wraps these only from 2.36 (Ubuntu 22.04, RHEL 9 have older ones). The numbers are
    // the same on x86_64 and aarch64 (Linux 5.1+ numbers syscalls alike on every architecture).
    internal const long SysPidfdSendSignal = 424;
    internal const long SysPidfdOpen = 434;

    /// <summary>A pidfd names one process for good: signals through it never hit a recycled PID. Invalid on failure (errno set).</summary>
    internal static SafePidFdHandle pidfd_open(int pid, uint flags) => new((int)syscall(SysPidfdOpen, pid, flags, 0));

    internal static int pidfd_send_signal(SafePidFdHandle pidfd, int sig, nint info, uint flags)
    {
        bool added = false;
        pidfd.DangerousAddRef(ref added);
        try
        {
            return (int)syscall4(SysPidfdSendSignal, pidfd.Fd, sig, info, flags);
        }
        finally
        {
            if (added)
                pidfd.DangerousRelease();
        }
    }

    [LibraryImport(Name, EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall4(long number, long a1, long a2, long a3, long a4);

    [LibraryImport(Name, EntryPoint = "close", SetLastError = true)]
    internal static partial int close(int fd);
}

/// <summary>
/// Whether the kernel has everything Outlive uses pidfds for: pidfd_open (Linux 5.3), pidfd_send_signal (5.1) and
/// waitid(P_PIDFD) (5.4). Asked once; without them (RHEL 8's 4.18, or a seccomp filter answering ENOSYS) the reaper
/// and stop fall back to PIDs checked by identity.
/// </summary>
internal static class PidFds
{
    /// <summary>
    /// Tests set it to run the fallbacks on a kernel with pidfds; an AsyncLocal, so it reaches what the test that sets
    /// it starts and stops, and no other test.
    /// </summary>
    internal static readonly AsyncLocal<bool> ForceUnsupported = new();

    private static readonly bool s_kernelHasThem = Probe();

    internal static bool Usable => s_kernelHasThem && !ForceUnsupported.Value;

    /// <summary>
    /// Tried on this process itself: signal 0 through its pidfd, and a waitid that finds no child (ECHILD) where
    /// P_PIDFD is known and EINVAL where it is not. Only ENOSYS/EINVAL say "missing": a failure like EMFILE proves
    /// nothing, and the pidfd paths handle their own errors.
    /// </summary>
    private static unsafe bool Probe()
    {
        using SafePidFdHandle self = Libc.pidfd_open(Environment.ProcessId, 0);
        if (self.IsInvalid)
            return Marshal.GetLastPInvokeError() != Libc.ENOSYS;
        if (Libc.pidfd_send_signal(self, 0, 0, 0) != 0 && Marshal.GetLastPInvokeError() == Libc.ENOSYS)
            return false;
        Libc.SigInfo info;
        return Libc.waitid(Libc.P_PIDFD, self.Fd, &info, Libc.WEXITED | Libc.WNOHANG) == 0
            || Marshal.GetLastPInvokeError() != Libc.EINVAL;
    }
}

/// <summary>An owned pidfd; closing it never affects the process.</summary>
internal sealed class SafePidFdHandle : SafeHandleMinusOneIsInvalid
{
    public SafePidFdHandle() : base(ownsHandle: true) { }

    internal SafePidFdHandle(int fd) : base(ownsHandle: true) => SetHandle(fd);

    internal int Fd => (int)handle;

    protected override bool ReleaseHandle() => Libc.close((int)handle) == 0;
}
