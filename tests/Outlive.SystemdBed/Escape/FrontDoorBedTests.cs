using System.Globalization;
using System.Text.Json;
using Outlive.SystemdBed.Bed;

namespace Outlive.SystemdBed.Escape;

/// <summary>
/// The library as a service's own code calls it, inside real units of the bed: a blocking start right after an
/// awaited one, a dbus restart between two starts, and root's way to systemd when the system bus is down.
/// </summary>
[Collection(SystemdBedCollection.Name)]
public sealed class FrontDoorBedTests(SystemdBedFixture fixture)
{
    private const string Outputs = "/run/front-door-tests";

    private Bed.SystemdBed Bed => fixture.Bed;

    /// <summary>A oneshot unit that runs library-caller once, its JSON, stderr and exit code kept in <see cref="Outputs"/>.</summary>
    private static string CallerUnit(string tag, string killMode, string callerArgs) => $"""
        [Service]
        Type=oneshot
        RemainAfterExit=yes
        KillMode={killMode}
        Environment=DOTNET_ROOT={RepoLayout.DotnetRoot}
        ExecStart=/bin/sh -c '{RepoLayout.LibraryCaller} {callerArgs} > {Outputs}/{tag}.out 2> {Outputs}/{tag}.err; echo $? > {Outputs}/{tag}.rc'

        """;

    private async Task<JsonElement> ResultAsync(string tag)
    {
        await BedWait.UntilAsync(() => Task.FromResult(Bed.TryReadFile($"{Outputs}/{tag}.rc") is not null));
        int exitCode = int.Parse(Bed.TryReadFile($"{Outputs}/{tag}.rc")!.Trim(), CultureInfo.InvariantCulture);
        Assert.True(exitCode == 0, $"library-caller exited {exitCode}: {Bed.TryReadFile($"{Outputs}/{tag}.err")}");
        return JsonDocument.Parse(Bed.TryReadFile($"{Outputs}/{tag}.out")!).RootElement.Clone();
    }

    private async Task CleanUpAsync(string unit, JsonElement? result)
    {
        await Bed.RunAsync("systemctl", "stop", unit);
        if (result is not { } r)
            return;
        foreach (string child in new[] { "first", "second" })
        {
            if (r.GetProperty(child).GetProperty("unit").GetString() is { } childUnit)
                await Bed.RunAsync("systemctl", "stop", childUnit);
            await Bed.RunAsync("kill", r.GetProperty(child).GetProperty("pid").GetInt32().ToString(CultureInfo.InvariantCulture));
        }
    }

    [Theory(Timeout = 300_000)]
    [InlineData("setsid", "process")]
    [InlineData("scope", "control-group")]
    [InlineData("service", "control-group")]
    public async Task A_blocking_start_right_after_an_awaited_one_completes_at_once(string strategy, string killMode)
    {
        string tag = $"blocking-{strategy}";
        await Bed.RunCheckedAsync("mkdir", "-p", Outputs);
        await Bed.InstallUnitsAsync(new Dictionary<string, string>
        {
            [$"{tag}.service"] = CallerUnit(tag, killMode, $"--escape {strategy} -- sleep 100010"),
        });
        JsonElement? result = null;
        try
        {
            await Bed.RunAsync("systemctl", "start", $"{tag}.service");
            result = await ResultAsync(tag);

            double blockingMs = result.Value.GetProperty("blockingMs").GetDouble();
            TestContext.Current.TestOutputHelper?.WriteLine($"{strategy}: the blocking start took {blockingMs:0.0} ms");
            Assert.True(blockingMs < 1000, $"the blocking start took {blockingMs:0} ms");
            foreach (string child in new[] { "first", "second" })
            {
                Assert.Equal(strategy, result.Value.GetProperty(child).GetProperty("strategy").GetString(), ignoreCase: true);
                Assert.True(result.Value.GetProperty(child).GetProperty("pid").GetInt32() > 0);
            }
        }
        finally
        {
            await CleanUpAsync($"{tag}.service", result);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task A_dbus_restart_between_two_starts_of_one_process_leaves_both_starts_working()
    {
        const string tag = "dbus-restart";
        string between = $"{Outputs}/{tag}.go";
        await Bed.RunCheckedAsync("mkdir", "-p", Outputs);
        await Bed.InstallUnitsAsync(new Dictionary<string, string>
        {
            [$"{tag}.service"] = CallerUnit(tag, "control-group", $"--escape scope --between {between} -- sleep 100011"),
        });
        JsonElement? result = null;
        try
        {
            await Bed.RunCheckedAsync("systemctl", "start", "--no-block", $"{tag}.service");
            await BedWait.UntilAsync(() => Task.FromResult(Bed.TryReadFile(between + ".ready") is not null));

            await Bed.RunCheckedAsync("systemctl", "restart", "dbus.service");
            // systemd itself reconnects to the new bus; the caller's old connection is dead.
            await BedWait.UntilAsync(async () => (await Bed.RunAsync("busctl", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                "org.freedesktop.DBus.Peer", "Ping")).ExitCode == 0);
            Bed.WriteFile(between, "");
            result = await ResultAsync(tag);

            string first = result.Value.GetProperty("first").GetProperty("unit").GetString()!;
            string second = result.Value.GetProperty("second").GetProperty("unit").GetString()!;
            Assert.NotEqual(first, second);
            Assert.Equal("active", (await Bed.RunAsync("systemctl", "is-active", second)).Stdout.Trim());
        }
        finally
        {
            await CleanUpAsync($"{tag}.service", result);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task With_the_system_bus_down_root_reaches_systemd_through_its_private_socket()
    {
        await Bed.RunCheckedAsync("mkdir", "-p", Outputs);
        await Bed.RunCheckedAsync("systemctl", "stop", "dbus.socket", "dbus.service");
        string? unit = null;
        try
        {
            Assert.NotEqual(0, (await Bed.RunAsync("busctl", "status")).ExitCode);
            BedCommandResult run = await Bed.RunAsync(["env", $"DOTNET_ROOT={RepoLayout.DotnetRoot}", RepoLayout.Cli,
                "run", "--escape", "scope", "--state-dir", $"{Outputs}/state", "--json", "--", "sleep", "100012"], TimeSpan.FromMinutes(1));

            Assert.True(run.ExitCode == 0, run.ToString());
            using JsonDocument json = JsonDocument.Parse(run.Stdout);
            unit = json.RootElement.GetProperty("unit").GetString()!;
            int pid = json.RootElement.GetProperty("pid").GetInt32();
            Assert.Equal("active", (await Bed.RunAsync("systemctl", "is-active", unit)).Stdout.Trim());
            Assert.Equal($"/system.slice/{unit}", await Bed.TryReadUnifiedCgroupAsync(pid));
        }
        finally
        {
            await Bed.RunAsync("systemctl", "start", "dbus.socket", "dbus.service");
            if (unit is not null)
                await Bed.RunAsync("systemctl", "stop", unit);
            await Bed.RunAsync("rm", "-rf", $"{Outputs}/state");
        }
    }
}
