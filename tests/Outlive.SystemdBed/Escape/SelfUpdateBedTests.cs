using System.Diagnostics;
using System.Globalization;
using Outlive.SystemdBed.Bed;

namespace Outlive.SystemdBed.Escape;

/// <summary>
/// samples/SelfUpdatingService in a real unit (Type=notify, KillMode=control-group): on its trigger the service hands
/// off to its updater, which stops the service, swaps its app folder and starts it again.
/// </summary>
[Collection(SystemdBedCollection.Name)]
public sealed class SelfUpdateBedTests(SystemdBedFixture fixture)
{
    private const string Root = "/run/self-update-tests";
    private const string Unit = "self-updating.service";

    private Bed.SystemdBed Bed => fixture.Bed;

    private static string Built(string project, string program) =>
        Path.Combine(RepoLayout.Artifacts, "bin", project, new DirectoryInfo(AppContext.BaseDirectory).Name, program);

    /// <summary>The sample's unit file, pointed at the test's folders and the built updater.</summary>
    private static string ServiceUnit => $"""
        [Service]
        Type=notify
        ExecStart={Root}/app/SelfUpdatingService
        Environment=DOTNET_ROOT={RepoLayout.DotnetRoot}
        Environment=SelfUpdate__Trigger={Root}/update-now
        Environment=SelfUpdate__Status={Root}/status
        Environment=SelfUpdate__Updater={Built("SelfUpdatingService.Updater", "SelfUpdatingService.Updater")}
        Environment=SelfUpdate__UpdaterLog={Root}/updater.log
        Environment=Outlive__StateDirectory={Root}/outlive

        """;

    private async Task<(string Version, int Pid)> StatusAsync()
    {
        string[] words = (Bed.TryReadFile($"{Root}/status") ?? "").Split(' ', StringSplitOptions.TrimEntries);
        return words.Length == 2 ? (words[0], int.Parse(words[1], CultureInfo.InvariantCulture)) : ("", 0);
    }

    [Fact(Timeout = 300_000)]
    public async Task The_service_hands_off_to_its_updater_which_swaps_its_folder_and_restarts_it_leaving_nothing_behind()
    {
        string build = Path.GetDirectoryName(Built("SelfUpdatingService", "SelfUpdatingService"))!;
        await Bed.RunAsync("rm", "-rf", Root);
        await Bed.RunCheckedAsync("mkdir", "-p", Root);
        await Bed.RunCheckedAsync("cp", "-a", build, $"{Root}/app");
        await Bed.RunCheckedAsync("cp", "-a", build, $"{Root}/staged");
        Bed.WriteFile($"{Root}/app/version.txt", "1.0\n");
        Bed.WriteFile($"{Root}/staged/version.txt", "2.0\n");
        await Bed.InstallUnitsAsync(new Dictionary<string, string> { [Unit] = ServiceUnit });
        try
        {
            await Bed.RunCheckedAsync("systemctl", "start", Unit); // Type=notify: returns once the host sent READY=1
            (string version, int oldPid) = await StatusAsync();
            Assert.Equal("1.0", version);

            // The trigger appears whole: written aside, then renamed into place.
            Bed.WriteFile($"{Root}/update-now.tmp", $"{Root}/staged\n");
            var clock = Stopwatch.StartNew();
            await Bed.RunCheckedAsync("mv", $"{Root}/update-now.tmp", $"{Root}/update-now");
            await BedWait.UntilAsync(async () => (await StatusAsync()).Version == "2.0");
            TimeSpan toNewVersion = clock.Elapsed;
            TestContext.Current.SendDiagnosticMessage($"self-update: trigger -> new version running in {toNewVersion.TotalMilliseconds:0} ms");
            TestContext.Current.TestOutputHelper?.WriteLine($"trigger -> new version running: {toNewVersion.TotalMilliseconds:0} ms");

            // The updater finished: its last line is written after the start it asked for returned.
            await BedWait.UntilAsync(() => Task.FromResult(Bed.TryReadFile($"{Root}/updater.log")?.TrimEnd().Split('\n')[^1].Contains("updater done", StringComparison.Ordinal) == true));
            string log = Bed.TryReadFile($"{Root}/updater.log")!;
            // Its timestamps split the time: hand-off, stop, swap, start.
            TestContext.Current.SendDiagnosticMessage($"self-update: the updater's log:\n{log.TrimEnd()}");
            int updater = int.Parse(log.Split("updater[")[1].Split(']')[0], CultureInfo.InvariantCulture);
            Assert.Contains($"updating {Unit} (pid {oldPid})", log, StringComparison.Ordinal);
            Assert.Contains($"pid {oldPid} is gone", log, StringComparison.Ordinal);

            (_, int newPid) = await StatusAsync();
            Assert.NotEqual(oldPid, newPid);
            Assert.Equal("active", (await Bed.RunAsync("systemctl", "is-active", Unit)).Stdout.Trim());
            Assert.Equal(newPid.ToString(CultureInfo.InvariantCulture), await Bed.ShowPropertyAsync(Unit, "MainPID"));
            Assert.Equal("1.0", Bed.TryReadFile($"{Root}/staged/version.txt")?.Trim());

            // Nothing left over: the updater and its scope are gone, and the unit holds its new main process only.
            await BedWait.UntilAsync(() => Task.FromResult(Bed.TryReadProcStat(updater) is null or { IsZombie: true }));
            string scopes = await Bed.RunCheckedAsync("systemctl", "list-units", "--all", "--plain", "--no-legend", "outlive-*.scope");
            Assert.DoesNotContain("updater", scopes, StringComparison.OrdinalIgnoreCase);
            string cgroup = await Bed.ShowPropertyAsync(Unit, "ControlGroup");
            Assert.Equal([newPid.ToString(CultureInfo.InvariantCulture)],
                (await Bed.RunCheckedAsync("cat", $"/sys/fs/cgroup{cgroup}/cgroup.procs")).Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Null(Bed.TryReadProcStat(oldPid));
            IReadOnlyList<string> journal = await Bed.ReadJournalAsync(Unit);
            Assert.DoesNotContain(journal, line => line.Contains("left-over process", StringComparison.Ordinal));
            Assert.Contains(journal, line => line.Contains("Version 2.0 runs", StringComparison.Ordinal));
        }
        finally
        {
            await Bed.RunAsync("systemctl", "stop", Unit);
            await Bed.RunAsync("rm", "-rf", Root, $"/etc/systemd/system/{Unit}");
            await Bed.RunAsync("systemctl", "daemon-reload");
        }
    }
}
