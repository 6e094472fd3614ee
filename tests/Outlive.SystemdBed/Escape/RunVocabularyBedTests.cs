namespace Outlive.SystemdBed.Escape;

using System.Text.Json;
using Outlive.SystemdBed.Bed;
using Outlive.SystemdBed.Diagnosis;

/// <summary>systemd-run's vocabulary on <c>outlive run</c>, each option's effect read back from systemd.</summary>
[Collection(SystemdBedCollection.Name)]
public sealed class RunVocabularyBedTests(SystemdBedFixture fixture)
{
    const string State = "/run/vocabulary-state";

    [Fact(Timeout = 300_000)]
    public async Task Unit_description_and_properties_land_on_the_scope_as_asked()
    {
        SystemdBed bed = fixture.Bed;
        BedCommandResult run = await bed.RunOutliveAsync("run", "--state-dir", State, "--escape", "scope", "-u", "vocab-web", "--description", "vocabulary test",
            "-p", "MemoryMax=64M", "-p", "TasksMax=32", "-p", "CPUQuota=50%", "-p", "PartOf=vocab-parent.service", "--json", "--", "/bin/sleep", "100680");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var child = JsonDocument.Parse(run.Stdout);
        try
        {
            Assert.Equal("vocab-web.scope", child.RootElement.GetProperty("unit").GetString());
            Assert.Equal("67108864", await bed.ShowPropertyAsync("vocab-web.scope", "MemoryMax"));
            Assert.Equal("32", await bed.ShowPropertyAsync("vocab-web.scope", "TasksMax"));
            Assert.Equal("500ms", await bed.ShowPropertyAsync("vocab-web.scope", "CPUQuotaPerSecUSec"));
            Assert.Equal("vocab-parent.service", await bed.ShowPropertyAsync("vocab-web.scope", "PartOf"));
            Assert.Equal("vocabulary test", await bed.ShowPropertyAsync("vocab-web.scope", "Description"));
        }
        finally
        {
            await bed.RunAsync("systemctl", "stop", "vocab-web.scope");
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task Inherit_limits_copies_the_parent_services_limits_onto_the_childs_scope()
    {
        SystemdBed bed = fixture.Bed;
        const string Unit = "vocab-limited.service";
        const string Record = "/run/vocab-limited.json";
        string service = OutliveInBed.Service("control-group", $"OUTLIVE run --state-dir {State} --inherit-limits --json -- /bin/sleep 100681 > {Record}")
            .Replace("[Service]", "[Service]\nMemoryMax=300M\nTasksMax=77\nCPUQuota=150%", StringComparison.Ordinal);
        await bed.InstallUnitsAsync(new Dictionary<string, string> { [Unit] = service });
        await bed.RunCheckedAsync("systemctl", "start", Unit);
        int mainPid = await OutliveInBed.MainPidAsync(bed, Unit);
        (int child, _) = await OutliveInBed.ReadStartedChildAsync(bed, Record);
        using var record = JsonDocument.Parse(bed.TryReadFile(Record)!);
        string scope = record.RootElement.GetProperty("unit").GetString()!;
        try
        {
            Assert.Equal("314572800", await bed.ShowPropertyAsync(scope, "MemoryMax"));
            Assert.Equal("77", await bed.ShowPropertyAsync(scope, "TasksMax"));
            Assert.Equal("1.500000s", await bed.ShowPropertyAsync(scope, "CPUQuotaPerSecUSec"));

            // doctor points at the option where a unit has limits of its own.
            using var doctor = JsonDocument.Parse((await bed.RunOutliveAsync("doctor", "--pid", mainPid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json")).Stdout);
            JsonElement hazard = Assert.Single(doctor.RootElement.GetProperty("hazards").EnumerateArray(), h => h.GetProperty("id").GetString() == "resource-limits");
            Assert.Contains("--inherit-limits", hazard.GetProperty("advice").GetString(), StringComparison.Ordinal);
            Assert.Contains("MemoryMax", hazard.GetProperty("finding").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            await OutliveInBed.KillAsync(bed, child, mainPid);
            await bed.RunAsync("systemctl", "stop", Unit, scope);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task Quiet_prints_nothing_and_the_child_runs()
    {
        SystemdBed bed = fixture.Bed;
        BedCommandResult run = await bed.RunOutliveAsync("run", "--state-dir", State, "-q", "--name", "vocab-quiet", "--", "/bin/sleep", "100682");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Stdout);
        using var status = JsonDocument.Parse((await bed.RunOutliveAsync("status", "--state-dir", State, "vocab-quiet", "--json")).Stdout);
        Assert.Equal("running", status.RootElement.GetProperty("state").GetString());
        await bed.RunOutliveAsync("stop", "--state-dir", State, "vocab-quiet");
    }
}
