namespace Outlive.SystemdBed;

using System.Diagnostics;
using Outlive.Procfs;
using Outlive.SystemdBed.Bed;

/// <summary>Beds of crashed runs must not pile up: the next boot kills and removes those whose owner is gone.</summary>
[Collection(SystemdBedCollection.Name)] // not concurrent with the bed's own leftover sweep at boot
public sealed class LeftoverBedTests
{
    [Fact]
    public void A_bed_cgroup_whose_owner_is_gone_is_killed_and_removed_but_a_live_owners_is_kept()
    {
        if (SystemdBed.WhyCannotBoot() is { } reason)
        {
            Assert.False(SystemdBedFixture.IsCi, $"CI=true but {reason}");
            Assert.Skip(reason);
        }
        string cgroup2 = BedCgroups.FindCgroup2Mount()!;

        // A real dead owner: a process that has exited and been reaped, so its PID+start time names no one.
        using var owner = Process.Start("true")!;
        ulong ownerStart = ProcStat.TryRead(owner.Id)?.StartTimeTicks ?? 1;
        owner.WaitForExit();
        string orphaned = Path.Combine(cgroup2, $"outlive-bed-{owner.Id}-{ownerStart}-1");
        Directory.CreateDirectory(Path.Combine(orphaned, "system.slice"));
        using var straggler = StartIn(Path.Combine(orphaned, "system.slice"));
        string live = BedCgroups.Create(cgroup2);
        try
        {
            IReadOnlyList<string> removed = BedCgroups.RemoveLeftovers(cgroup2);

            Assert.Contains(orphaned, removed);
            Assert.False(Directory.Exists(orphaned));
            Assert.True(straggler.WaitForExit(5000), "the leftover's process was not killed");
            Assert.True(Directory.Exists(live), "the bed of a live owner (this process) was removed");
        }
        finally
        {
            BedCgroups.KillAndRemove(orphaned, TimeSpan.FromSeconds(5));
            BedCgroups.KillAndRemove(live, TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>A sleep that moves itself into <paramref name="cgroup"/> before it starts sleeping.</summary>
    private static Process StartIn(string cgroup)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true };
        foreach (string arg in (string[])["-c", "echo $$ > \"$1/cgroup.procs\" && echo moved && exec sleep 100000", "sh", cgroup])
            start.ArgumentList.Add(arg);
        var process = Process.Start(start)!;
        Assert.Equal("moved", process.StandardOutput.ReadLine());
        return process;
    }
}
