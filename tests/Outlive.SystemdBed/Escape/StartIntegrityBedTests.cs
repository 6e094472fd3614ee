using System.Globalization;
using System.Text.Json;
using Outlive.SystemdBed.Bed;

namespace Outlive.SystemdBed.Escape;

/// <summary>
/// `outlive run --escape scope|service` SIGKILLed at each step of its start, in the bed's real systemd: every
/// program still running afterwards is in `outlive ps` (a service left running is registered from its reservation),
/// `outlive prune` leaves no reservation, and no transient unit of the interrupted starts stays active.
/// </summary>
[Collection(SystemdBedCollection.Name)]
public sealed class StartIntegrityBedTests(SystemdBedFixture fixture)
{
    private const string StateDir = "/run/start-integrity-tests";

    private Bed.SystemdBed Bed => fixture.Bed;

    private Task<BedCommandResult> OutliveAsync(string? fault, params string[] args) =>
        Bed.RunAsync(["env", $"DOTNET_ROOT={RepoLayout.DotnetRoot}", .. fault is null ? Array.Empty<string>() : [$"OUTLIVE_FAULT={fault}"],
            RepoLayout.Cli, .. args], TimeSpan.FromMinutes(1));

    private async Task<int[]> RunningWithMarkerAsync(string marker) =>
        [.. (await Bed.RunAsync("pgrep", "-f", $"sleep {marker}")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => int.Parse(p, CultureInfo.InvariantCulture))];

    /// <summary>Stops the test's units, kills what carries its marker, and removes its files.</summary>
    private async Task CleanUpAsync(string units, string marker, params string[] paths)
    {
        await Bed.RunAsync("sh", "-c", $"systemctl stop '{units}'; pkill -f 'sleep {marker}'");
        await Bed.RunAsync(["rm", "-rf", .. paths]);
    }

    private async Task<int[]> RegisteredAsync()
    {
        BedCommandResult ps = await OutliveAsync(null, "ps", "--json", "--state-dir", StateDir);
        Assert.True(ps.ExitCode == 0, ps.ToString());
        using var json = JsonDocument.Parse(ps.Stdout);
        return [.. json.RootElement.EnumerateArray().Where(e => e.GetProperty("state").GetString() == "running").Select(e => e.GetProperty("pid").GetInt32())];
    }

    [Theory(Timeout = 300_000)]
    [InlineData("scope", "reserved", false)]
    [InlineData("scope", "held", false)]
    [InlineData("scope", "planned", false)]
    [InlineData("scope", "unit-started", false)]
    [InlineData("scope", "committed", false)]
    [InlineData("scope", "released", true)]
    [InlineData("service", "reserved", false)]
    [InlineData("service", "planned", false)]
    [InlineData("service", "unit-started", true)]
    [InlineData("service", "committed", true)]
    public async Task Killed_at_each_step_of_an_escaped_start_the_program_never_runs_unregistered(string strategy, string point, bool runs)
    {
        string marker = $"2{Random.Shared.Next(100_000, 999_999)}";
        try
        {
            for (int round = 0; round < 2; round++)
            {
                BedCommandResult run = await OutliveAsync(point, "run", "--escape", strategy, "--state-dir", StateDir, "--name", $"k{round}", "--", "sleep", marker);
                Assert.True(run.ExitCode == 137, $"expected death by SIGKILL at '{point}': {run}");
                await Task.Delay(300, TestContext.Current.CancellationToken); // a held child whose gate closed exits at once

                int[] registered = await RegisteredAsync();
                int[] running = await RunningWithMarkerAsync(marker);
                int[] strays = [.. running.Where(pid => !registered.Contains(pid))];
                Assert.True(strays.Length == 0, $"{strategy}, killed at '{point}': running but not registered: {string.Join(", ", strays)}");
                Assert.Equal(runs, running.Length > round);

                BedCommandResult prune = await OutliveAsync(null, "prune", "--state-dir", StateDir);
                Assert.True(prune.ExitCode == 0, prune.ToString());
                Assert.Equal("", (await Bed.RunAsync("sh", "-c", $"ls {StateDir} | grep -E '\\.(reservation|tmp)$'")).Stdout.Trim());
            }
            // No scope or service of an interrupted start stays active without a registered child in it.
            string units = await Bed.RunCheckedAsync("systemctl", "list-units", "--state=active", "--no-legend", "--plain", "outlive-k*");
            int active = units.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            Assert.Equal((await RegisteredAsync()).Length, active);
        }
        finally
        {
            await CleanUpAsync("outlive-k*", marker, StateDir);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task A_service_start_that_fails_after_systemd_started_it_stops_its_whole_unit_grandchildren_included()
    {
        string marker = $"3{Random.Shared.Next(100_000, 999_999)}";
        try
        {
            BedCommandResult run = await OutliveAsync("fail:unit-started", "run", "--escape", "service", "--state-dir", StateDir, "--name", "forker",
                "--", "sh", "-c", $"sleep {marker} & exec sleep {marker}");

            Assert.Equal(1, run.ExitCode);
            Assert.Contains("injected failure at 'unit-started'", run.Stderr, StringComparison.Ordinal);
            Assert.Empty(await RunningWithMarkerAsync(marker));
            Assert.Equal(4, (await OutliveAsync(null, "status", "forker", "--state-dir", StateDir)).ExitCode);
        }
        finally
        {
            await CleanUpAsync("outlive-forker*", marker, StateDir);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task SIGTERM_while_a_scope_is_being_started_undoes_it_and_leaves_no_scope_behind()
    {
        string marker = $"4{Random.Shared.Next(100_000, 999_999)}";
        string files = $"{StateDir}-sigterm";
        await Bed.RunCheckedAsync("mkdir", "-p", files);
        try
        {
            Task<BedCommandResult> run = Bed.RunAsync(["sh", "-c",
                $"env DOTNET_ROOT={RepoLayout.DotnetRoot} OUTLIVE_FAULT=pause:unit-started {RepoLayout.Cli} run --escape scope --state-dir {StateDir} --name sig -- sleep {marker} " +
                $"> {files}/out 2> {files}/err & echo $! > {files}/pid; wait $!; echo $? > {files}/rc"], TimeSpan.FromMinutes(1));
            // The scope is up with the held child in it; outlive waits at that step.
            await BedWait.UntilAsync(async () => (await Bed.RunAsync("systemctl", "is-active", "--quiet", "outlive-sig-*")).ExitCode == 0
                && (await Bed.RunAsync("systemctl", "list-units", "--state=active", "--no-legend", "outlive-sig-*")).Stdout.Trim().Length > 0);
            await Bed.RunCheckedAsync("sh", "-c", $"kill -TERM $(cat {files}/pid)");
            await run;

            Assert.Equal("143", Bed.TryReadFile($"{files}/rc")!.Trim());
            Assert.Equal("outlive: interrupted by SIGTERM; nothing was started\n", Bed.TryReadFile($"{files}/err"));
            await Task.Delay(2000, TestContext.Current.CancellationToken);
            Assert.Equal("", (await Bed.RunCheckedAsync("systemctl", "list-units", "--state=active", "--no-legend", "outlive-sig-*")).Trim());
            Assert.Empty(await RunningWithMarkerAsync(marker));
            Assert.Equal("", (await Bed.RunAsync("sh", "-c", $"ls {StateDir} | grep -E '\\.(reservation|json)$'")).Stdout.Trim());
        }
        finally
        {
            await CleanUpAsync("outlive-sig-*", marker, StateDir, files);
        }
    }

    [Theory(Timeout = 300_000)]
    [InlineData("scope")]
    [InlineData("service")]
    public async Task An_escaped_childs_argv0_and_environment_arrive_as_given(string strategy)
    {
        string files = $"{StateDir}-bytes-{strategy}";
        await Bed.RunCheckedAsync("mkdir", "-p", files);
        try
        {
            // argv[0] as asked, an empty argument and '=' in one; a value with '='; a name only a scope can carry.
            BedCommandResult run = await Bed.RunAsync(["sh", "-c",
                $"exec env DOTNET_ROOT={RepoLayout.DotnetRoot} 'EQ=a=b' 'EMPTY=' '1NUM=one' {RepoLayout.Cli} run --escape {strategy} --state-dir {StateDir} " +
                $"--stdout {files}/out -- sh -c 'cat /proc/$$/cmdline; echo; tr \"\\000\" \"\\n\" < /proc/$$/environ' mine '' 'x=y'"], TimeSpan.FromMinutes(1));
            Assert.True(run.ExitCode is 0 or ExitCodes.ExitedAtOnce, run.ToString());
            await BedWait.UntilAsync(() => Task.FromResult((Bed.TryReadFile($"{files}/out") ?? "").Contains("EQ=", StringComparison.Ordinal)));
            string[] lines = Bed.TryReadFile($"{files}/out")!.Split('\n');

            // sh's own argv as systemd or the gate executed it: argv[0] "sh", then the rest untouched.
            Assert.Equal("sh\0-c\0cat /proc/$$/cmdline; echo; tr \"\\000\" \"\\n\" < /proc/$$/environ\0mine\0\0x=y\0", lines[0]);
            Assert.Contains("EQ=a=b", lines);
            Assert.Contains("EMPTY=", lines);
            // systemd refuses the name: a service leaves it out (README), a scope's child gets it.
            Assert.Equal(strategy == "scope", lines.Contains("1NUM=one"));
        }
        finally
        {
            await Bed.RunAsync("sh", "-c", "systemctl stop 'outlive-sh-*' 2>/dev/null; true");
            await Bed.RunAsync("rm", "-rf", StateDir, files);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task A_service_refuses_an_argument_that_is_not_UTF8_and_names_the_escape_that_carries_it()
    {
        BedCommandResult run = await Bed.RunAsync(["sh", "-c",
            $"exec env DOTNET_ROOT={RepoLayout.DotnetRoot} {RepoLayout.Cli} run --escape service --state-dir {StateDir} -- printf %s \"$(printf '\\377')\""],
            TimeSpan.FromMinutes(1));
        try
        {
            Assert.Equal(ExitCodes.StartFailed, run.ExitCode);
            Assert.Contains("--escape scope", Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
        }
        finally
        {
            await Bed.RunAsync("rm", "-rf", StateDir);
        }
    }
}
