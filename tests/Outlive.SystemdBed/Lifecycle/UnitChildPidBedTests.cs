namespace Outlive.SystemdBed.Lifecycle;

using System.Globalization;
using System.Text.Json;
using Outlive.SystemdBed.Bed;
using Outlive.SystemdBed.Diagnosis;

/// <summary>A scope child whose first process exits while its fork lives on (tmux, nginx, a double fork) is shown by a PID that runs.</summary>
[Collection(SystemdBedCollection.Name)]
public sealed class UnitChildPidBedTests(SystemdBedFixture fixture)
{
    [Fact(Timeout = 300_000)]
    public async Task After_a_double_fork_in_a_scope_status_and_ps_show_the_live_fork_and_the_process_count_not_the_dead_first_pid()
    {
        SystemdBed bed = fixture.Bed;
        const string State = "/run/dfork-state";
        BedCommandResult run = await bed.RunOutliveAsync("run", "--state-dir", State, "--name", "dfork", "--escape", "scope", "--json", "--",
            "/bin/sh", "-c", "/bin/sleep 100640 </dev/null >/dev/null 2>&1 & exit 0");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var started = JsonDocument.Parse(run.Stdout);
        int first = started.RootElement.GetProperty("pid").GetInt32();
        await BedWait.UntilAsync(() => Task.FromResult(bed.TryReadProcStat(first) is null));

        BedCommandResult status = await bed.RunOutliveAsync("status", "--state-dir", State, "dfork", "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        using var json = JsonDocument.Parse(status.Stdout);
        int current = json.RootElement.GetProperty("currentPid").GetInt32();
        try
        {
            Assert.Equal("running", json.RootElement.GetProperty("state").GetString());
            Assert.NotEqual(first, current);
            Assert.Equal("sleep", bed.TryReadProcStat(current)?.Command);
            Assert.Equal(1, json.RootElement.GetProperty("processCount").GetInt32());

            string text = (await bed.RunOutliveAsync("status", "--state-dir", State, "dfork")).Stdout;
            Assert.Contains($"pid {current}, started as {first}, 1 process", text, StringComparison.Ordinal);
            string ps = (await bed.RunOutliveAsync("ps", "--state-dir", State)).Stdout;
            Assert.Matches($@"\ndfork +{current} +scope ", ps);
        }
        finally
        {
            await OutliveInBed.KillAsync(bed, current);
        }
    }
}
