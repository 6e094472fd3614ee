using System.Runtime.InteropServices;

namespace Outlive.Interop;

internal static partial class Libc
{
    /// <summary>Time since boot, suspend included: the clock the kernel stamps a process's start with.</summary>
    internal const int CLOCK_BOOTTIME = 7;

    [StructLayout(LayoutKind.Sequential)]
    internal struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <remarks>Answered in the vDSO for CLOCK_BOOTTIME: no system call.</remarks>
    [LibraryImport(Name, EntryPoint = "clock_gettime")]
    internal static partial int clock_gettime(int clock, out TimeSpec time);

    internal const int _SC_CLK_TCK = 2;

    [LibraryImport(Name, EntryPoint = "sysconf")]
    internal static partial long sysconf(int name);
}
