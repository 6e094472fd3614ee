using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Outlive.Interop;

internal static partial class Libc
{
    /// <summary>glibc ≥ 2.36 wrapper. A pidfd names one process for good: signals through it never hit a recycled PID.</summary>
    [LibraryImport(Name, EntryPoint = "pidfd_open", SetLastError = true)]
    internal static partial SafePidFdHandle pidfd_open(int pid, uint flags);

    [LibraryImport(Name, EntryPoint = "pidfd_send_signal", SetLastError = true)]
    internal static partial int pidfd_send_signal(SafePidFdHandle pidfd, int sig, nint info, uint flags);

    [LibraryImport(Name, EntryPoint = "close", SetLastError = true)]
    internal static partial int close(int fd);
}

/// <summary>An owned pidfd; closing it never affects the process.</summary>
internal sealed class SafePidFdHandle : SafeHandleMinusOneIsInvalid
{
    public SafePidFdHandle() : base(ownsHandle: true) { }

    internal int Fd => (int)handle;

    protected override bool ReleaseHandle() => Libc.close((int)handle) == 0;
}
