namespace Outlive.SystemdBed;

using Outlive.SystemdBed.Bed;

[Collection(SystemdBedCollection.Name)]
public sealed class BedTests(SystemdBedFixture fixture)
{
    [Fact]
    public async Task The_bed_runs_systemd_as_its_pid_1_with_no_failed_units()
    {
        SystemdBed bed = fixture.Bed;
        TestContext.Current.TestOutputHelper?.WriteLine($"{bed.SystemdVersion}, booted in {bed.BootTime.TotalSeconds:F2} s");

        Assert.Equal("systemd", bed.TryReadProcStat(1)?.Command);
        Assert.Empty(bed.FailedUnitsAtBoot);
        Assert.Equal("running", (await bed.RunAsync("systemctl", "is-system-running")).Stdout.Trim());
    }

    [Fact]
    public async Task A_file_written_into_the_bed_is_seen_inside_but_not_on_the_host()
    {
        SystemdBed bed = fixture.Bed;
        string path = $"/tmp/outlive-bed-probe-{Guid.NewGuid():N}";

        bed.WriteFile(path, "inside");

        Assert.Equal("inside", await bed.RunCheckedAsync("cat", path));
        Assert.False(File.Exists(path));
    }
}
