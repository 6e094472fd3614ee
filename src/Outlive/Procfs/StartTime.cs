using Outlive.Interop;

namespace Outlive.Procfs;

/// <summary>
/// A process's start time as /proc/PID/stat gives it (field 22): CLOCK_BOOTTIME when the kernel made the process, in
/// clock ticks (USER_HZ), rounded down. A child made between two readings of that clock that fall in the same tick
/// started in that tick, so its identity needs no read of /proc; across a tick boundary it does.
/// </summary>
internal static class StartTime
{
    private static readonly long s_nanosecondsPerTick = 1_000_000_000 / Libc.sysconf(Libc._SC_CLK_TCK);

    /// <summary>CLOCK_BOOTTIME in nanoseconds (the vDSO answers it: no system call).</summary>
    internal static long BootClockNow()
    {
        Libc.clock_gettime(Libc.CLOCK_BOOTTIME, out Libc.TimeSpec now);
        return now.Seconds * 1_000_000_000 + now.Nanoseconds;
    }

    /// <summary>
    /// The start time of a process made between <paramref name="before"/> and <paramref name="after"/> (readings of
    /// <see cref="BootClockNow"/>); null when a tick boundary lies between them.
    /// </summary>
    internal static ulong? OfProcessMadeBetween(long before, long after) =>
        before / s_nanosecondsPerTick == after / s_nanosecondsPerTick ? (ulong)(before / s_nanosecondsPerTick) : null;
}
