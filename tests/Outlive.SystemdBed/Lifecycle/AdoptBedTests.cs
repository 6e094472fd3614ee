namespace Outlive.SystemdBed.Lifecycle;

using System.Globalization;
using System.Text.Json;
using Outlive.SystemdBed.Bed;
using Outlive.SystemdBed.Diagnosis;

/// <summary><c>outlive adopt</c>: the rescue of a child already running in a control-group service, before the service stops.</summary>
[Collection(SystemdBedCollection.Name)]
public sealed class AdoptBedTests(SystemdBedFixture fixture)
{
    const string State = "/run/adopt-state";

    [Fact(Timeout = 300_000)]
    public async Task A_setsid_child_of_a_control_group_service_adopted_with_its_tree_survives_systemctl_stop_and_is_registered()
    {
        SystemdBed bed = fixture.Bed;
        const string Unit = "adopt-parent.service";
        const string Record = "/run/adopt-parent.pid";
        // Like a Go service with Setsid: true: a shell of its own session with two children, all in the service's cgroup.
        await bed.InstallUnitsAsync(new Dictionary<string, string>
        {
            [Unit] = OutliveInBed.Service("control-group", $"setsid /bin/sh -c \"sleep 100690 & sleep 100691 & wait\" & echo $! > {Record}"),
        });
        await bed.RunCheckedAsync("systemctl", "start", Unit);
        int mainPid = await OutliveInBed.MainPidAsync(bed, Unit);
        await BedWait.UntilAsync(() => Task.FromResult(bed.TryReadFile(Record) is { Length: > 1 } text && text.EndsWith('\n')));
        int shell = int.Parse(bed.TryReadFile(Record)!.Trim(), CultureInfo.InvariantCulture);
        await BedWait.UntilAsync(async () => (await bed.RunAsync("pgrep", "-P", shell.ToString(CultureInfo.InvariantCulture))).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 2);
        int[] sleeps = [.. (await bed.RunCheckedAsync("pgrep", "-P", shell.ToString(CultureInfo.InvariantCulture))).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];
        try
        {
            BedCommandResult adopt = await bed.RunOutliveAsync("adopt", "--state-dir", State, shell.ToString(CultureInfo.InvariantCulture), "--tree", "--name", "rescued", "--json");
            Assert.True(adopt.ExitCode == 0, adopt.ToString());
            using var entry = JsonDocument.Parse(adopt.Stdout);
            string scope = entry.RootElement.GetProperty("unit").GetString()!;
            Assert.Equal("rescued", entry.RootElement.GetProperty("name").GetString());
            Assert.Equal(3, entry.RootElement.GetProperty("processCount").GetInt32());

            await bed.RunCheckedAsync("systemctl", "stop", Unit);

            foreach (int pid in (int[])[shell, .. sleeps])
            {
                Assert.NotNull(bed.TryReadProcStat(pid));
                Assert.EndsWith("/" + scope, await bed.TryReadUnifiedCgroupAsync(pid), StringComparison.Ordinal);
            }
            Assert.Contains("rescued", (await bed.RunOutliveAsync("ps", "--state-dir", State)).Stdout, StringComparison.Ordinal);
            Assert.Equal(0, (await bed.RunOutliveAsync("stop", "--state-dir", State, "rescued")).ExitCode);
            Assert.Null(bed.TryReadProcStat(shell));
        }
        finally
        {
            await OutliveInBed.KillAsync(bed, [shell, .. sleeps, mainPid]);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task Adopt_refuses_a_units_main_process_and_PID_1_with_exit_5_saying_why()
    {
        SystemdBed bed = fixture.Bed;
        const string Unit = "adopt-main.service";
        await bed.InstallUnitsAsync(new Dictionary<string, string> { [Unit] = OutliveInBed.Service("control-group", "true") });
        await bed.RunCheckedAsync("systemctl", "start", Unit);
        int mainPid = await OutliveInBed.MainPidAsync(bed, Unit);
        try
        {
            BedCommandResult main = await bed.RunOutliveAsync("adopt", "--state-dir", State, mainPid.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(5, main.ExitCode);
            Assert.Contains($"is the main process of {Unit}", main.Stderr, StringComparison.Ordinal);

            BedCommandResult init = await bed.RunOutliveAsync("adopt", "--state-dir", State, "1");
            Assert.Equal(5, init.ExitCode);
            Assert.Contains("init.scope", init.Stderr, StringComparison.Ordinal);
            Assert.Equal("active", (await bed.RunAsync("systemctl", "is-active", Unit)).Stdout.Trim());
        }
        finally
        {
            await bed.RunAsync("systemctl", "stop", Unit);
        }
    }
}
