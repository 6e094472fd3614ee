using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Outlive.Interop;

internal static partial class Libc
{
    // Through syscall(2): glibc wraps these only from 2.36 (Ubuntu 22.04, RHEL 9 have older ones). The numbers are
    // the same on x86_64 and aarch64 (Linux 5.1+ numbers syscalls alike on every architecture).
    private const long SysPidfdSendSignal = 424;
    private const long SysPidfdOpen = 434;

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

/// <summary>An owned pidfd; closing it never affects the process.</summary>
internal sealed class SafePidFdHandle : SafeHandleMinusOneIsInvalid
{
    public SafePidFdHandle() : base(ownsHandle: true) { }

    internal SafePidFdHandle(int fd) : base(ownsHandle: true) => SetHandle(fd);

    internal int Fd => (int)handle;

    protected override bool ReleaseHandle() => Libc.close((int)handle) == 0;
}
