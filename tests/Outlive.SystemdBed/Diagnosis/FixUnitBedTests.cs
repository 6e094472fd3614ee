namespace Outlive.SystemdBed.Diagnosis;

using Outlive.SystemdBed.Bed;

[Collection(SystemdBedCollection.Name)]
public sealed class FixUnitBedTests(SystemdBedFixture fixture)
{
    private const string Unit = "dctr-fix.service";
    private const string Record = "/run/dctr-fix.child.json";
    private const string DropIn = $"/etc/systemd/system/{Unit}.d/50-outlive.conf";

    [Fact(Timeout = 300_000)]
    public async Task Fix_unit_turns_a_control_group_service_into_one_whose_running_setsid_child_survives_stop_and_revert_undoes_it()
    {
        SystemdBed bed = fixture.Bed;
        await bed.InstallUnitsAsync(new Dictionary<string, string>
        {
            [Unit] = OutliveInBed.Service("control-group", $"OUTLIVE run --json --escape setsid --force -- /bin/sleep 100006 > {Record}"),
        });
        await bed.RunCheckedAsync("systemctl", "start", Unit);
        int mainPid = await OutliveInBed.MainPidAsync(bed, Unit);
        (int child, ulong startTime) = await OutliveInBed.ReadStartedChildAsync(bed, Record);
        try
        {
            BedCommandResult doctorBefore = await bed.RunOutliveAsync("doctor", "--unit", Unit);
            Assert.Contains($"or:  outlive fix-unit {Unit}", doctorBefore.Stdout, StringComparison.Ordinal);

            // The unit is running: the drop-in must apply to the processes it already has.
            BedCommandResult fix = await bed.RunOutliveAsync("fix-unit", Unit);
            TestContext.Current.TestOutputHelper?.WriteLine(fix.ToString());
            Assert.Equal(0, fix.ExitCode);
            Assert.Contains("KillMode=process", bed.TryReadFile(DropIn), StringComparison.Ordinal);
            Assert.Equal("process", await bed.ShowPropertyAsync(Unit, "KillMode"));
            Assert.Contains($"systemd now reports KillMode=process for {Unit}", fix.Stdout, StringComparison.Ordinal);
            Assert.Equal($"/etc/systemd/system/{Unit}.d/50-outlive.conf", await bed.ShowPropertyAsync(Unit, "DropInPaths"));

            await bed.RunCheckedAsync("systemctl", "stop", Unit);
            Assert.True(bed.IsAlive(child, startTime), "the setsid child died although the drop-in says KillMode=process");

            BedCommandResult revert = await bed.RunOutliveAsync("fix-unit", "--revert", Unit);
            Assert.Equal(0, revert.ExitCode);
            Assert.Null(bed.TryReadFile(DropIn));
            Assert.Equal("control-group", await bed.ShowPropertyAsync(Unit, "KillMode"));
        }
        finally
        {
            await OutliveInBed.KillAsync(bed, child, mainPid);
            await bed.RunOutliveAsync("fix-unit", "--revert", Unit);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task A_dry_run_in_the_bed_leaves_the_unit_and_its_directory_untouched()
    {
        SystemdBed bed = fixture.Bed;
        const string Other = "dctr-fix-dry.service";
        await bed.InstallUnitsAsync(new Dictionary<string, string> { [Other] = OutliveInBed.Service("mixed", "true") });

        BedCommandResult dry = await bed.RunOutliveAsync("fix-unit", "--dry-run", Other);

        Assert.Equal(0, dry.ExitCode);
        Assert.Contains("+KillMode=process", dry.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, (await bed.RunAsync("test", "-e", $"/etc/systemd/system/{Other}.d")).ExitCode);
        Assert.Equal("mixed", await bed.ShowPropertyAsync(Other, "KillMode"));
    }

    [Fact(Timeout = 300_000)]
    public async Task A_later_drop_in_that_overrides_the_fix_makes_fix_unit_exit_1_and_say_so()
    {
        SystemdBed bed = fixture.Bed;
        const string Overridden = "dctr-fix-overridden.service";
        bed.WriteFile($"/etc/systemd/system/{Overridden}.d/60-local.conf", "[Service]\nKillMode=mixed\n");
        await bed.InstallUnitsAsync(new Dictionary<string, string> { [Overridden] = OutliveInBed.Service("control-group", "true") });
        try
        {
            BedCommandResult fix = await bed.RunOutliveAsync("fix-unit", Overridden);

            Assert.Equal(1, fix.ExitCode);
            Assert.Contains($"{Overridden} still has KillMode=mixed", fix.Stderr, StringComparison.Ordinal);
            Assert.Equal("mixed", await bed.ShowPropertyAsync(Overridden, "KillMode"));
        }
        finally
        {
            await bed.RunOutliveAsync("fix-unit", "--revert", Overridden);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task With_restart_fix_unit_restarts_the_unit_after_the_reload_and_reports_the_new_KillMode()
    {
        SystemdBed bed = fixture.Bed;
        const string Restarted = "dctr-fix-restart.service";
        await bed.InstallUnitsAsync(new Dictionary<string, string> { [Restarted] = OutliveInBed.Service("mixed", "true") });
        await bed.RunCheckedAsync("systemctl", "start", Restarted);
        int before = await OutliveInBed.MainPidAsync(bed, Restarted);
        try
        {
            BedCommandResult fix = await bed.RunOutliveAsync("fix-unit", "--restart", Restarted);

            Assert.Equal(0, fix.ExitCode);
            Assert.Contains($"restarted {Restarted}", fix.Stdout, StringComparison.Ordinal);
            Assert.Contains($"systemd now reports KillMode=process for {Restarted}", fix.Stdout, StringComparison.Ordinal);
            Assert.NotEqual(before, await OutliveInBed.MainPidAsync(bed, Restarted));
        }
        finally
        {
            await bed.RunAsync("systemctl", "stop", Restarted);
            await bed.RunOutliveAsync("fix-unit", "--revert", Restarted);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task Fix_unit_of_a_unit_that_does_not_exist_writes_nothing_and_says_so()
    {
        SystemdBed bed = fixture.Bed;

        BedCommandResult fix = await bed.RunOutliveAsync("fix-unit", "typo-of-mine.service");

        Assert.Equal(ExitCodes.NotFound, fix.ExitCode);
        Assert.Contains("typo-of-mine.service does not exist (systemd says not-found)", fix.Stderr, StringComparison.Ordinal);
        Assert.Null(bed.TryReadFile("/etc/systemd/system/typo-of-mine.service.d/50-outlive.conf"));
        Assert.NotEqual(0, (await bed.RunAsync("test", "-e", "/etc/systemd/system/typo-of-mine.service.d")).ExitCode);
    }
}
