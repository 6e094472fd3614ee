namespace Outlive.SystemdBed.Diagnosis;

using System.Globalization;
using System.Text.Json;
using Outlive.SystemdBed.Bed;

/// <summary>doctor's verdicts, asked before the fact, against what systemd 252 then does.</summary>
[Collection(SystemdBedCollection.Name)]
public sealed class DoctorAgreesWithSystemdTests(SystemdBedFixture fixture)
{
    [Theory(Timeout = 300_000)]
    [InlineData("control-group")]
    [InlineData("mixed")]
    [InlineData("process")]
    [InlineData("none")]
    public async Task The_setsid_verdict_doctor_gives_for_a_service_is_what_systemctl_stop_does_to_a_setsid_child(string killMode)
    {
        SystemdBed bed = fixture.Bed;
        string unit = $"dctr-setsid-{killMode}.service";
        string record = $"/run/{unit}.child.json";
        await bed.InstallUnitsAsync(new Dictionary<string, string>
        {
            [unit] = OutliveInBed.Service(killMode, $"OUTLIVE run --json --escape setsid --force -- /bin/sleep 100001 > {record}"),
        });
        await bed.RunCheckedAsync("systemctl", "start", unit);
        int mainPid = await OutliveInBed.MainPidAsync(bed, unit);
        (int child, ulong startTime) = await OutliveInBed.ReadStartedChildAsync(bed, record);
        try
        {
            BedCommandResult doctor = await bed.RunOutliveAsync("doctor", "--pid", mainPid.ToString(CultureInfo.InvariantCulture), "--json");
            using var report = JsonDocument.Parse(doctor.Stdout);
            Assert.Equal(unit, report.RootElement.GetProperty("unit").GetString());
            Assert.Equal(killMode, report.RootElement.GetProperty("killMode").GetString());
            bool predicted = report.RootElement.GetProperty("verdicts").GetProperty("setsid").GetProperty("survivesStop").GetBoolean();

            await bed.RunCheckedAsync("systemctl", "stop", unit);
            bool observed = bed.IsAlive(child, startTime);

            TestContext.Current.TestOutputHelper?.WriteLine($"KillMode={killMode}: doctor predicted {(predicted ? "survives" : "dies")}, the setsid child {(observed ? "survived" : "was killed")}");
            Assert.Equal(predicted, observed);
            Assert.Equal(killMode is "process" or "none", observed);
        }
        finally
        {
            await OutliveInBed.KillAsync(bed, child, mainPid);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task The_scope_verdict_for_a_root_service_is_survives_and_a_real_scope_child_survives_stop()
    {
        SystemdBed bed = fixture.Bed;
        const string Unit = "dctr-scope.service";
        const string Record = "/run/dctr-scope.child.json";
        await bed.InstallUnitsAsync(new Dictionary<string, string>
        {
            [Unit] = OutliveInBed.Service("control-group", $"OUTLIVE run --json --escape scope -- /bin/sleep 100002 > {Record}"),
        });
        await bed.RunCheckedAsync("systemctl", "start", Unit);
        int mainPid = await OutliveInBed.MainPidAsync(bed, Unit);
        (int child, ulong startTime) = await OutliveInBed.ReadStartedChildAsync(bed, Record);
        try
        {
            BedCommandResult doctor = await bed.RunOutliveAsync("doctor", "--pid", mainPid.ToString(CultureInfo.InvariantCulture));
            TestContext.Current.TestOutputHelper?.WriteLine(doctor.Stdout);
            Assert.Equal(0, doctor.ExitCode);
            Assert.Matches(@"\n  scope +survives survives survives ", doctor.Stdout);
            Assert.Contains("outlive run --escape scope -- PROGRAM", doctor.Stdout, StringComparison.Ordinal);

            await bed.RunCheckedAsync("systemctl", "stop", Unit);

            Assert.True(bed.IsAlive(child, startTime), "the scope child died with its parent's unit");
            Assert.StartsWith("/system.slice/outlive-", await bed.TryReadUnifiedCgroupAsync(child), StringComparison.Ordinal);
        }
        finally
        {
            await OutliveInBed.KillAsync(bed, child, mainPid);
        }
    }

    [Theory(Timeout = 300_000)]
    [InlineData("control-group", 1)]
    [InlineData("process", 0)]
    public async Task For_a_User_nobody_service_without_polkit_doctor_says_no_transient_units_and_recommends_fix_unit(string killMode, int exitCode)
    {
        SystemdBed bed = fixture.Bed;
        string unit = $"dctr-nobody-{killMode}.service";
        await bed.InstallUnitsAsync(new Dictionary<string, string> { [unit] = OutliveInBed.Service(killMode, "true", user: "nobody") });
        await bed.RunCheckedAsync("systemctl", "start", unit);
        int mainPid = await OutliveInBed.MainPidAsync(bed, unit);
        try
        {
            BedCommandResult doctor = await bed.RunOutliveAsync("doctor", "--unit", unit, "--json");
            TestContext.Current.TestOutputHelper?.WriteLine(doctor.ToString());
            using var report = JsonDocument.Parse(doctor.Stdout);
            JsonElement root = report.RootElement;

            Assert.Equal(exitCode, doctor.ExitCode);
            Assert.Equal(mainPid, root.GetProperty("pid").GetInt32());
            Assert.Equal("nobody", root.GetProperty("user").GetString());
            Assert.False(root.GetProperty("canCreateTransientUnits").GetBoolean());
            Assert.Contains("polkit", root.GetProperty("transientUnitsReason").GetString(), StringComparison.Ordinal);
            if (killMode == "control-group")
                Assert.StartsWith($"outlive fix-unit {unit}", root.GetProperty("recommended").GetProperty("command").GetString(), StringComparison.Ordinal);
            else
                Assert.Equal("outlive run -- PROGRAM [ARGS...]", root.GetProperty("recommended").GetProperty("command").GetString());
        }
        finally
        {
            await bed.RunAsync("systemctl", "stop", unit);
        }
    }
}
