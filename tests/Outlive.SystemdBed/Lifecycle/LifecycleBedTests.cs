namespace Outlive.SystemdBed.Lifecycle;

using System.Globalization;
using System.Text.Json;
using Outlive.SystemdBed.Bed;

/// <summary>ps, status, stop and logs of children escaped into a transient unit of the bed's real systemd.</summary>
[Collection(SystemdBedCollection.Name)]
public sealed class LifecycleBedTests(SystemdBedFixture fixture)
{
    private static readonly string Cli = RepoLayout.Cli;

    private readonly string _stateDir = $"/run/outlive-test-{Guid.NewGuid():N}";

    private Task<BedCommandResult> Outlive(string command, params string[] args) =>
        fixture.Bed.RunAsync(["env", $"DOTNET_ROOT={RepoLayout.DotnetRoot}", Cli, command, "--state-dir", _stateDir, .. args]);

    private async Task<(int Pid, string Unit)> RunAsync(string strategy, string name, params string[] program)
    {
        var run = await Outlive("run", ["--escape", strategy, "--name", name, "--json", "--", .. program]);
        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        return (json.RootElement.GetProperty("pid").GetInt32(), json.RootElement.GetProperty("unit").GetString()!);
    }

    [Theory(Timeout = 300_000)]
    [InlineData("scope")]
    [InlineData("service")]
    public async Task An_escaped_child_is_listed_with_its_unit_and_stop_stops_the_unit(string strategy)
    {
        SystemdBed bed = fixture.Bed;
        (int pid, string unit) = await RunAsync(strategy, "s", "sleep", "1000");
        try
        {
            string ps = (await Outlive("ps")).Stdout;
            string[] row = ps.Split('\n').Single(l => l.StartsWith("s ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["s", pid.ToString(CultureInfo.InvariantCulture), strategy, unit], row[..4]);
            Assert.Equal("running", row[5]);
            Assert.Equal(0, (await Outlive("status", "s")).ExitCode);

            var stop = await Outlive("stop", "s");

            Assert.True(stop.ExitCode == 0, stop.ToString());
            Assert.Equal($"stopped s (pid {pid}, {unit})\n", stop.Stdout);
            var active = await bed.RunAsync("systemctl", "is-active", unit);
            Assert.Contains(active.Stdout.Trim(), new[] { "inactive", "unknown" });
            Assert.NotEqual(0, (await bed.RunAsync("kill", "-0", pid.ToString(CultureInfo.InvariantCulture))).ExitCode);
            // stop forgot the child: there is no entry left to be "not running".
            Assert.Equal(4, (await Outlive("status", "s")).ExitCode);
        }
        finally
        {
            await bed.RunAsync("systemctl", "stop", unit);
            await bed.RunAsync("rm", "-rf", _stateDir);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task Status_follows_the_unit_a_child_was_escaped_into()
    {
        SystemdBed bed = fixture.Bed;
        (_, string unit) = await RunAsync("scope", "followed", "sleep", "1000");
        try
        {
            Assert.Equal(0, (await Outlive("status", "followed")).ExitCode);
            await bed.RunCheckedAsync("systemctl", "stop", unit);
            var status = await Outlive("status", "followed");
            Assert.Equal(3, status.ExitCode);
            Assert.StartsWith("followed: gone", status.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            await bed.RunAsync("systemctl", "stop", unit);
            await bed.RunAsync("rm", "-rf", _stateDir);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task Logs_of_a_service_child_show_its_output_from_the_journal()
    {
        SystemdBed bed = fixture.Bed;
        (_, string unit) = await RunAsync("service", "talker", "sh", "-c", "echo hello-from-service; exec sleep 1000");
        try
        {
            string logs = "";
            for (int attempt = 0; attempt < 50 && !logs.Contains("hello-from-service", StringComparison.Ordinal); attempt++)
            {
                await bed.RunAsync("journalctl", "--sync");
                var result = await Outlive("logs", "talker", "-n", "5");
                Assert.True(result.ExitCode == 0, result.ToString());
                logs = result.Stdout;
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
            Assert.Contains("hello-from-service", logs, StringComparison.Ordinal);
        }
        finally
        {
            await bed.RunAsync("systemctl", "stop", unit);
            await bed.RunAsync("rm", "-rf", _stateDir);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task A_service_child_that_exited_shows_the_status_systemd_recorded_until_prune_lets_its_unit_go()
    {
        SystemdBed bed = fixture.Bed;
        (_, string unit) = await RunAsync("service", "brief", "sh", "-c", "sleep 1; exit 3");
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((await bed.RunAsync("systemctl", "is-failed", "--quiet", unit)).ExitCode != 0)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{unit} never failed");
                await Task.Delay(200, TestContext.Current.CancellationToken);
            }

            var status = await Outlive("status", "brief");
            Assert.Equal(3, status.ExitCode);
            Assert.Contains("exited 3", status.Stdout, StringComparison.Ordinal);
            string[] row = (await Outlive("ps", "--all")).Stdout.Split('\n').Single(l => l.StartsWith("brief ", StringComparison.Ordinal))
                .Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["gone", "3"], row[5..7]);
            using (var json = JsonDocument.Parse((await Outlive("status", "brief", "--json")).Stdout))
                Assert.Equal(3, json.RootElement.GetProperty("exit").GetProperty("code").GetInt32());

            Assert.Contains("removed brief", (await Outlive("prune")).Stdout, StringComparison.Ordinal);
            Assert.Equal("", (await bed.RunCheckedAsync("systemctl", "list-units", "--all", "--no-legend", unit)).Trim());
        }
        finally
        {
            await bed.RunAsync("systemctl", "reset-failed", unit);
            await bed.RunAsync("rm", "-rf", _stateDir);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task Stop_with_a_graceful_signal_sends_that_signal_alone_and_waits_for_the_unit_to_end()
    {
        SystemdBed bed = fixture.Bed;
        string log = $"/run/graceful-{Guid.NewGuid():N}.log";
        (_, string unit) = await RunAsync("scope", "graceful", "sh", "-c",
            $"trap 'echo term >> {log}' TERM; trap 'echo int >> {log}; sleep 1; exit 0' INT; while :; do sleep 0.1; done");
        try
        {
            var stop = await Outlive("stop", "graceful", "--signal", "INT", "--timeout", "30s");

            Assert.True(stop.ExitCode == 0, stop.ToString());
            Assert.Equal("int\n", bed.TryReadFile(log));
            Assert.Contains((await bed.RunAsync("systemctl", "is-active", unit)).Stdout.Trim(), new[] { "inactive", "unknown" });
        }
        finally
        {
            await bed.RunAsync("systemctl", "stop", unit);
            await bed.RunAsync("rm", "-rf", _stateDir, log);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task Logs_follow_killed_with_SIGKILL_leaves_no_journalctl_behind()
    {
        SystemdBed bed = fixture.Bed;
        (_, string unit) = await RunAsync("service", "chatty", "sh", "-c", "while :; do echo tick; sleep 0.2; done");
        string pidFile = $"/run/logs-follow-{Guid.NewGuid():N}.pid";
        try
        {
            Task<BedCommandResult> follow = bed.RunAsync(["sh", "-c",
                $"env DOTNET_ROOT={RepoLayout.DotnetRoot} {Cli} logs chatty -f --state-dir {_stateDir} > /dev/null & echo $! > {pidFile}; wait"], TimeSpan.FromMinutes(1));
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((await bed.RunAsync("pgrep", "-x", "journalctl")).ExitCode != 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "journalctl -f never started");
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }

            await bed.RunCheckedAsync("sh", "-c", $"kill -KILL $(cat {pidFile})");
            await follow;
            await Task.Delay(1000, TestContext.Current.CancellationToken);

            Assert.Equal("", (await bed.RunAsync("pgrep", "-x", "journalctl")).Stdout.Trim());
        }
        finally
        {
            await bed.RunAsync("pkill", "-x", "journalctl");
            await bed.RunAsync("systemctl", "stop", unit);
            await bed.RunAsync("rm", "-rf", _stateDir, pidFile);
        }
    }
}
