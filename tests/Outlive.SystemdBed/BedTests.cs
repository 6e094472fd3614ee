namespace Outlive.SystemdBed;

using Outlive.SystemdBed.Bed;

[Collection(SystemdBedCollection.Name)]
public sealed class BedTests(SystemdBedFixture fixture)
{
    [Fact(Timeout = 300_000)]
    public async Task The_bed_runs_systemd_as_pid_1_in_a_cgroup_tree_of_its_own()
    {
        SystemdBed bed = fixture.Bed;
        TestContext.Current.TestOutputHelper?.WriteLine($"{bed.SystemdVersion}, booted in {bed.BootTime.TotalSeconds:F2} s, failed units: [{string.Join(", ", bed.FailedUnitsAtBoot)}]");

        Assert.Equal("systemd", bed.TryReadProcStat(1)?.Command);
        // The cgroup namespace is rooted at the bed's host cgroup, so systemd sees a tree of its own.
        Assert.Equal("/init.scope", await bed.TryReadUnifiedCgroupAsync(1));
        // The bed boots the host's own units; some may fail there. Those it reports must really be failed.
        foreach (string unit in bed.FailedUnitsAtBoot)
            Assert.Equal("failed", await bed.ShowPropertyAsync(unit, "ActiveState"));
    }

    [Fact(Timeout = 300_000)]
    public async Task A_file_written_into_the_bed_is_seen_inside_but_not_on_the_host()
    {
        SystemdBed bed = fixture.Bed;
        string path = $"/tmp/outlive-bed-probe-{Guid.NewGuid():N}";

        bed.WriteFile(path, "inside");

        Assert.Equal("inside", await bed.RunCheckedAsync("cat", path));
        Assert.False(File.Exists(path));
    }
}
