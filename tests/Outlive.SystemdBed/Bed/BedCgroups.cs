using System.Globalization;
using Outlive.Procfs;

namespace Outlive.SystemdBed.Bed;

/// <summary>
/// The host cgroup-v2 side of a bed: one cgroup per bed, named after its owner process
/// (<c>outlive-bed-PID-STARTTIME-N</c>) so that a later run can tell a crashed run's bed from a live one.
/// </summary>
internal static class BedCgroups
{
    private const string Prefix = "outlive-bed-";
    private static int s_sequence;

    /// <summary>The host's cgroup2 mount: /sys/fs/cgroup/unified on a hybrid host, /sys/fs/cgroup on a pure-v2 one.</summary>
    public static string? FindCgroup2Mount()
    {
        foreach (string line in File.ReadLines("/proc/self/mounts"))
        {
            string[] fields = line.Split(' ');
            if (fields.Length > 2 && fields[2] == "cgroup2")
                return fields[1];
        }
        return null;
    }

    /// <summary>Creates the cgroup for a new bed owned by this process.</summary>
    public static string Create(string cgroup2Mount)
    {
        ProcStat self = ProcStat.TryRead(Environment.ProcessId)!;
        int n = Interlocked.Increment(ref s_sequence);
        string path = Path.Combine(cgroup2Mount, $"{Prefix}{self.Pid}-{self.StartTimeTicks}-{n}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Kills and removes the beds left by runs whose owner process is gone (crashed, killed).</summary>
    public static IReadOnlyList<string> RemoveLeftovers(string cgroup2Mount)
    {
        var removed = new List<string>();
        foreach (string dir in Directory.EnumerateDirectories(cgroup2Mount, Prefix + "*"))
        {
            // Only names this code makes (PID-STARTTIME-N) are ours to judge; leave any other alone.
            if (ParseOwner(Path.GetFileName(dir)) is not { } owner || OwnerIsAlive(owner.Pid, owner.StartTime))
                continue;
            try
            {
                KillAndRemove(dir, TimeSpan.FromSeconds(10));
                removed.Add(dir);
            }
            catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException)
            {
                // Another run's cleanup removed it first.
            }
        }
        return removed;
    }

    private static (int Pid, ulong StartTime)? ParseOwner(string name)
    {
        string[] parts = name[Prefix.Length..].Split('-');
        return parts.Length == 3
            && int.TryParse(parts[0], CultureInfo.InvariantCulture, out int pid)
            && ulong.TryParse(parts[1], CultureInfo.InvariantCulture, out ulong startTime)
            && int.TryParse(parts[2], CultureInfo.InvariantCulture, out _)
            ? (pid, startTime)
            : null;
    }

    private static bool OwnerIsAlive(int pid, ulong startTime)
    {
        ProcStat? owner = ProcStat.TryRead(pid);
        return owner is not null && owner.StartTimeTicks == startTime && !owner.IsZombie;
    }

    /// <summary>
    /// SIGKILLs every process in the tree at once (cgroup.kill, kernel 5.14+), waits until the tree is
    /// empty, then removes the cgroups leaves first (a cgroup with children cannot be removed).
    /// </summary>
    public static void KillAndRemove(string cgroup, TimeSpan timeout)
    {
        if (!Directory.Exists(cgroup))
            return;
        File.WriteAllText(Path.Combine(cgroup, "cgroup.kill"), "1");
        var deadline = DateTime.UtcNow + timeout;
        while (IsPopulated(cgroup))
        {
            if (DateTime.UtcNow > deadline)
                throw new IOException($"processes left in {cgroup} {timeout.TotalSeconds} s after cgroup.kill");
            Thread.Sleep(20);
        }
        RemoveTree(cgroup);
    }

    private static bool IsPopulated(string cgroup) =>
        File.ReadLines(Path.Combine(cgroup, "cgroup.events")).Contains("populated 1");

    private static void RemoveTree(string cgroup)
    {
        foreach (string child in Directory.EnumerateDirectories(cgroup))
            RemoveTree(child);
        Directory.Delete(cgroup); // rmdir(2); cgroupfs control files go with it
    }
}
