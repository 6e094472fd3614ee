using Outlive.Procfs;

namespace Outlive;

/// <summary>
/// Names one process for good: a PID alone is reused by the kernel, but PID + start time (clock ticks
/// after boot, /proc/PID/stat field 22) + boot id is never given to two processes.
/// </summary>
public sealed record ProcessIdentity(int Pid, ulong StartTimeTicks, string BootId)
{
    /// <summary>The identity of the live process <paramref name="pid"/> now; null when there is none.</summary>
    public static ProcessIdentity? TryCapture(int pid)
    {
        ProcStat? stat = ProcStat.TryRead(pid);
        return stat is null ? null : new ProcessIdentity(pid, stat.StartTimeTicks, Procfs.BootId.Current);
    }

    /// <summary>True when <see cref="Pid"/> still names this very process (not exited, not a recycled PID).</summary>
    public bool IsAlive()
    {
        if (BootId != Procfs.BootId.Current)
            return false;
        ProcStat? stat = ProcStat.TryRead(Pid);
        return stat is not null && stat.StartTimeTicks == StartTimeTicks && !stat.IsZombie;
    }
}
