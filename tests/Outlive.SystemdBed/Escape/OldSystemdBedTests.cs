namespace Outlive.SystemdBed.Escape;

using System.Globalization;
using System.Text.Json;
using Outlive.SystemdBed.Bed;
using Outlive.SystemdBed.Diagnosis;

/// <summary>The property set for systemd 239 (RHEL 8), forced on this systemd with OUTLIVE_SYSTEMD_VERSION=239.</summary>
[Collection(SystemdBedCollection.Name)]
public sealed class OldSystemdBedTests(SystemdBedFixture fixture)
{
    private Task<BedCommandResult> As239Async(params string[] args) =>
        fixture.Bed.RunAsync(["env", $"DOTNET_ROOT={RepoLayout.DotnetRoot}", "OUTLIVE_SYSTEMD_VERSION=239", OutliveInBed.Cli, .. args]);

    [Fact(Timeout = 300_000)]
    public async Task With_systemd_239_properties_a_service_child_is_Type_simple_and_run_returns_the_program_not_systemds_forked_child()
    {
        SystemdBed bed = fixture.Bed;
        BedCommandResult run = await As239Async("run", "--state-dir", "/run/old-systemd-state", "--escape", "service", "--json", "--", "/bin/sleep", "100660");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var child = JsonDocument.Parse(run.Stdout);
        string unit = child.RootElement.GetProperty("unit").GetString()!;
        int pid = child.RootElement.GetProperty("pid").GetInt32();
        try
        {
            Assert.Equal("simple", (await bed.ShowPropertyAsync(unit, "Type")).Trim());
            Assert.Equal("sleep", bed.TryReadProcStat(pid)?.Command);
            Assert.Equal(pid.ToString(CultureInfo.InvariantCulture), (await bed.ShowPropertyAsync(unit, "MainPID")).Trim());
        }
        finally
        {
            await bed.RunAsync("systemctl", "stop", unit);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task With_systemd_239_properties_a_service_program_that_exits_at_once_is_reported_with_its_status()
    {
        BedCommandResult run = await As239Async("run", "--state-dir", "/run/old-systemd-state", "--escape", "service", "--", "/bin/sh", "-c", "exit 7");

        Assert.Equal(10, run.ExitCode);
        Assert.Contains("exited 7", run.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 300_000)]
    public async Task Doctor_says_what_systemd_239_lacks()
    {
        BedCommandResult doctor = await As239Async("doctor", "--json");
        using var report = JsonDocument.Parse(doctor.Stdout);

        string lack = Assert.Single(report.RootElement.GetProperty("managerLacks").EnumerateArray()).GetString()!;
        Assert.Contains("Type=exec (systemd 240)", lack, StringComparison.Ordinal);
    }
}
