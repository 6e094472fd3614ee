namespace Outlive.SystemdBed.Escape;

using System.Globalization;
using System.Text.Json;
using Outlive.SystemdBed.Bed;

/// <summary>
/// Launcher.HandOffAsync(updater, HandOff.RestartOwnUnit) from inside a control-group service: the updater runs in a
/// scope of its own, learns the unit and the caller's PID, and the restart queued in systemd happens after the caller
/// is gone, without the updater dying in it.
/// </summary>
[Collection(SystemdBedCollection.Name)]
public sealed class HandOffRestartBedTests(SystemdBedFixture fixture)
{
    [Fact(Timeout = 300_000)]
    public async Task A_handoff_with_RestartOwnUnit_restarts_the_service_and_the_updater_lives_through_it_knowing_the_unit_and_caller()
    {
        SystemdBed bed = fixture.Bed;
        const string Unit = "handoff-restart.service";
        const string Dir = "/run/handoff-restart";
        await bed.RunCheckedAsync("mkdir", "-p", Dir);
        // First start: hand off, then go on as the service; after the restart the flag says it is done. The queued
        // restart begins at once: ExecStop gives the caller a second to print what it got before the stop's SIGTERM. In ExecStart,
        // systemd turns $$ into $ and \\ into \, so the shells see $$ and \$VAR.
        await bed.InstallUnitsAsync(new Dictionary<string, string>
        {
            [Unit] = $"""
                [Service]
                Type=exec
                Environment=DOTNET_ROOT={RepoLayout.DotnetRoot}
                ExecStart=/bin/sh -c 'if [ ! -e {Dir}/handed ]; then touch {Dir}/handed; echo $$$$ > {Dir}/first; {RepoLayout.LibraryCaller} --handoff-restart -- /bin/sh -c "echo \\$$OUTLIVE_HANDOFF_UNIT \\$$OUTLIVE_HANDOFF_PID > {Dir}/env; exec sleep 100710" > {Dir}/out 2> {Dir}/err; fi; exec sleep 100711'
                ExecStop=/bin/sleep 1

                """,
        });
        await bed.RunCheckedAsync("systemctl", "start", Unit);
        await BedWait.UntilAsync(() => Task.FromResult(bed.TryReadFile($"{Dir}/out") is { Length: > 0 } || bed.TryReadFile($"{Dir}/err") is { Length: > 0 }));
        int first = int.Parse(bed.TryReadFile($"{Dir}/first")!.Trim(), CultureInfo.InvariantCulture);
        using var result = JsonDocument.Parse(bed.TryReadFile($"{Dir}/out") is { Length: > 0 } o ? o : throw new InvalidOperationException(bed.TryReadFile($"{Dir}/err")));
        int updater = result.RootElement.GetProperty("updater").GetProperty("pid").GetInt32();
        string scope = result.RootElement.GetProperty("updater").GetProperty("unit").GetString()!;
        try
        {
            Assert.Equal(Unit, result.RootElement.GetProperty("unit").GetString());
            Assert.StartsWith("/org/freedesktop/systemd1/job/", result.RootElement.GetProperty("restartJob").GetString(), StringComparison.Ordinal);

            // The queued restart ran: a new main process, and the first shell is gone.
            await BedWait.UntilAsync(async () =>
                int.Parse(await bed.ShowPropertyAsync(Unit, "MainPID"), CultureInfo.InvariantCulture) is > 0 and var main && main != first
                && bed.TryReadProcStat(main)?.Command == "sleep" && bed.TryReadProcStat(first) is null);

            Assert.Equal("sleep", bed.TryReadProcStat(updater)?.Command);
            Assert.EndsWith("/" + scope, await bed.TryReadUnifiedCgroupAsync(updater), StringComparison.Ordinal);
            string[] env = (bed.TryReadFile($"{Dir}/env") ?? "").Trim().Split(' ');
            Assert.Equal(Unit, env[0]);
            Assert.True(int.TryParse(env.ElementAtOrDefault(1), CultureInfo.InvariantCulture, out int callerPid) && callerPid > 0, $"OUTLIVE_HANDOFF_PID: {string.Join(' ', env)}");
        }
        finally
        {
            await bed.RunAsync("systemctl", "stop", Unit, scope);
        }
    }
}
