using System.Globalization;
using System.Text.Json;
using Outlive.Procfs;
using Outlive.Tests.Support;

namespace Outlive.Tests.Cli;

public class LifecycleCommandTests
{
    [Fact]
    public void A_recycled_pid_is_not_running_and_is_not_signalled()
    {
        using var registry = new CliRegistry();
        // In a private PID namespace, ns_last_pid hands the recorded PID to an impostor.
        const string script = """
            set -u
            outlive=$1 state=$2
            pid=$("$outlive" run --state-dir "$state" --name x -- sleep 1000)
            kill -KILL "$pid"
            while [ -e "/proc/$pid" ]; do sleep 0.05; done
            echo $((pid - 1)) > /proc/sys/kernel/ns_last_pid
            sleep 1000 &
            impostor=$!
            echo "recorded=$pid impostor=$impostor"
            "$outlive" status --state-dir "$state" x; echo "status=$?"
            "$outlive" stop --state-dir "$state" x; echo "stop=$?"
            if kill -0 "$impostor"; then echo "impostor_after_stop=alive"; else echo "impostor_after_stop=dead"; fi
            kill -KILL "$impostor"
            """;
        var result = Repo.Run("unshare", ["--pid", "--fork", "--mount-proc", "bash", "-c", script, "bash", Repo.Cli, registry.StateDir]);
        string output = result.Stdout;
        var recorded = Field(output, "recorded");
        Assert.True(recorded == Field(output, "impostor"), $"the impostor did not get the recorded pid:\n{output}{result.Stderr}");
        Assert.Equal("3", Field(output, "status"));
        Assert.Equal("0", Field(output, "stop"));
        Assert.Equal("alive", Field(output, "impostor_after_stop"));
        Assert.Contains("x (pid " + recorded + ") was not running", output, StringComparison.Ordinal);
    }

    private static string Field(string output, string key) =>
        output.Split([' ', '\n']).Select(w => w.Split('=', 2)).First(kv => kv[0] == key)[1];

    [Fact]
    public void A_hundred_concurrent_runs_register_a_hundred_entries_that_match_their_live_processes()
    {
        using var registry = new CliRegistry();
        var results = Enumerable.Range(0, 100).AsParallel().WithDegreeOfParallelism(16)
            .Select(i => registry.Outlive("run", "--name", $"n{i}", "--", "sleep", "1000")).ToList();
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Stderr));

        var entries = registry.Ps();
        Assert.Equal(100, entries.Count);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"n{i}").Order(StringComparer.Ordinal), entries.Select(e => e.GetProperty("name").GetString()));
        Assert.Equal(results.Select(r => int.Parse(r.Stdout, CultureInfo.InvariantCulture)).Order(), entries.Select(e => e.GetProperty("pid").GetInt32()).Order());
        Assert.All(entries, e =>
        {
            Assert.True(CliRegistry.IdentityOf(e).IsAlive(), $"{e.GetProperty("name")} does not match a live process");
            Assert.Equal("running", e.GetProperty("state").GetString());
        });
    }

    [Fact]
    public void A_garbage_entry_file_is_reported_on_stderr_and_the_other_entries_are_listed()
    {
        using var registry = new CliRegistry();
        registry.Run("good");
        File.WriteAllText(Path.Combine(registry.StateDir, "broken.json"), "{\"schemaVersion\": 1, \"name\": \"bro");

        var ps = registry.Outlive("ps");

        Assert.Equal(0, ps.ExitCode);
        string problem = Assert.Single(ps.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"outlive: {registry.StateDir}/broken.json is not a valid entry", problem, StringComparison.Ordinal);
        var lines = ps.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NAME", "PID", "STRATEGY", "UNIT", "UPTIME", "STATE", "COMMAND"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("good ", Assert.Single(lines[1..]), StringComparison.Ordinal);
    }

    [Fact]
    public void A_child_that_ignores_SIGTERM_is_still_running_after_stop_and_killed_by_stop_with_kill_after()
    {
        using var registry = new CliRegistry();
        var child = registry.Run("stubborn", "sh", "-c", "trap '' TERM; exec sleep 1000");
        Assert.True(Children.WaitUntil(() => ProcStat.TryRead(child.Pid)?.Command == "sleep", TimeSpan.FromSeconds(5)));

        var refused = registry.Outlive("stop", "stubborn", "--timeout", "1s");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("still runs 1s after TERM; add --kill-after", refused.Stderr, StringComparison.Ordinal);
        Assert.True(child.IsAlive());
        Assert.Equal(0, registry.Outlive("status", "stubborn").ExitCode);

        var killed = registry.Outlive("stop", "stubborn", "--timeout", "1s", "--kill-after");
        Assert.Equal(0, killed.ExitCode);
        Assert.StartsWith($"killed stubborn (pid {child.Pid})", killed.Stdout, StringComparison.Ordinal);
        Assert.False(child.IsAlive());
        Assert.Equal(4, registry.Outlive("status", "stubborn").ExitCode);
    }

    [Fact]
    public void Status_uses_LSB_codes_0_running_3_exited_1_exited_with_its_pid_file_left_and_4_unknown_name()
    {
        using var registry = new CliRegistry();
        var child = registry.Run("svc");
        var running = registry.Outlive("status", "svc");
        Assert.Equal(0, running.ExitCode);
        Assert.Equal($"svc: running (pid {child.Pid}, setsid)\n", running.Stdout);
        Assert.Equal(0, registry.Outlive("status", child.Pid.ToString(CultureInfo.InvariantCulture)).ExitCode);

        Children.Kill(child);
        Assert.True(Children.WaitUntil(() => !child.IsAlive(), TimeSpan.FromSeconds(5)));
        Assert.Equal(3, registry.Outlive("status", "svc").ExitCode);

        var missing = registry.Outlive("status", "nope");
        Assert.Equal(4, missing.ExitCode);
        Assert.Equal($"outlive: no child named 'nope' in {registry.StateDir}; see 'outlive ps'\n", missing.Stderr);

        // LSB 1: "program is dead and /var/run pid file exists".
        string pidFile = registry.PathOf("dead.pid");
        var dead = registry.Run("dead", ["sleep", "1000"], pidFile);
        Children.Kill(dead);
        Assert.True(Children.WaitUntil(() => !dead.IsAlive(), TimeSpan.FromSeconds(5)));
        Assert.True(File.Exists(pidFile));
        Assert.Equal(1, registry.Outlive("status", "dead").ExitCode);
    }

    [Fact]
    public void Stop_of_an_unknown_name_exits_5_as_systemctl_stop_does()
    {
        using var registry = new CliRegistry();

        var stop = registry.Outlive("stop", "nope");

        Assert.Equal(5, stop.ExitCode);
        Assert.Equal($"outlive: no child named 'nope' in {registry.StateDir}; see 'outlive ps'\n", stop.Stderr);
    }

    [Fact]
    public void Ps_json_is_an_array_of_the_registry_schema_plus_state_current_pid_and_uptime()
    {
        using var registry = new CliRegistry();
        registry.Run("one");
        var entry = Assert.Single(registry.Ps());
        Assert.Equal(
            ["schemaVersion", "name", "pid", "startTimeTicks", "bootId", "strategy", "unit", "command", "cwd", "stdoutPath",
             "stderrPath", "pidFile", "startedByUid", "startedAtUtc", "manager", "stdoutFile", "stderrFile", "childUid", "journalIdentifier", "state", "exit", "currentPid", "processCount", "uptimeSeconds"],
            entry.EnumerateObject().Select(p => p.Name));
        // A setsid child is its own PID; only a unit holds a count of processes.
        Assert.Equal(entry.GetProperty("pid").GetInt32(), entry.GetProperty("currentPid").GetInt32());
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("processCount").ValueKind);
        Assert.Equal(JsonValueKind.Number, entry.GetProperty("uptimeSeconds").ValueKind);
        Assert.Equal(["sleep", "1000"], entry.GetProperty("command").EnumerateArray().Select(a => a.GetString()));
    }

    [Fact]
    public void Ps_all_lists_an_exited_child_with_an_unknown_exit_status_until_prune_removes_it()
    {
        using var registry = new CliRegistry();
        var child = registry.Run("brief");
        registry.Run("lasting");
        Children.Kill(child);
        Assert.True(Children.WaitUntil(() => !child.IsAlive(), TimeSpan.FromSeconds(5)));

        Assert.DoesNotContain("brief", registry.Outlive("ps").Stdout, StringComparison.Ordinal);
        string all = registry.Outlive("ps", "--all").Stdout;
        var brief = all.Split('\n').Single(l => l.StartsWith("brief ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["gone", "-"], brief[5..7]);

        var prune = registry.Outlive("prune");
        Assert.Equal($"removed brief (pid {child.Pid})\n", prune.Stdout);
        Assert.Equal(["lasting"], registry.Ps().Select(e => e.GetProperty("name").GetString()));
    }

    [Fact]
    public void Another_user_cannot_stop_roots_child()
    {
        Assert.SkipUnless(Environment.UserName == "root", "needs root to run the CLI as nobody");
        using var registry = new CliRegistry();
        var child = registry.Run("roots");

        var refused = Repo.Run("setpriv", ["--reuid", "65534", "--regid", "65534", "--clear-groups", Repo.Cli, "stop", "--state-dir", registry.StateDir, "roots"]);

        Assert.Equal(7, refused.ExitCode);
        Assert.Contains($"state dir {registry.StateDir} belongs to uid 0, not to you (uid 65534)", refused.Stderr, StringComparison.Ordinal);
        Assert.True(child.IsAlive());
    }

    [Fact]
    public void The_pid_file_is_written_refused_to_a_second_child_and_removed_by_stop()
    {
        using var registry = new CliRegistry();
        string pidFile = registry.PathOf("app.pid");
        var child = registry.Run("app", ["sleep", "1000"], pidFile);
        Assert.Equal($"{child.Pid}\n", File.ReadAllText(pidFile));

        var second = registry.Outlive("run", "--name", "app2", "--pidfile", pidFile, "--", "sleep", "1000");
        Assert.Equal(8, second.ExitCode);
        Assert.Equal($"outlive: pid file {pidFile} names running pid {child.Pid}; stop it or choose another --pidfile\n", second.Stderr);
        Assert.Equal(["app"], registry.Ps().Select(e => e.GetProperty("name").GetString()));

        Assert.Equal(0, registry.Outlive("stop", "app").ExitCode);
        Assert.False(File.Exists(pidFile));
        Assert.False(child.IsAlive());
    }

    [Fact]
    public void Replace_stops_the_running_child_of_that_name_and_registers_the_new_one()
    {
        using var registry = new CliRegistry();
        var old = registry.Run("web");
        Assert.Equal(8, registry.Outlive("run", "--name", "web", "--", "sleep", "1000").ExitCode);

        var result = registry.Outlive("run", "--name", "web", "--replace", "--", "sleep", "1000");

        Assert.Equal(0, result.ExitCode);
        Assert.False(old.IsAlive());
        var entry = Assert.Single(registry.Ps());
        Assert.Equal(int.Parse(result.Stdout, CultureInfo.InvariantCulture), entry.GetProperty("pid").GetInt32());
    }

    [Fact]
    public void A_failed_start_leaves_no_entry_behind()
    {
        using var registry = new CliRegistry();
        var result = registry.Outlive("run", "--name", "ghost", "--", "no-such-program-42");
        Assert.Equal(127, result.ExitCode);
        Assert.Empty(registry.Ps());
        Assert.DoesNotContain(Directory.EnumerateFiles(registry.StateDir), f => !f.EndsWith("/.lock", StringComparison.Ordinal));
    }

    [Fact]
    public void Logs_prints_the_last_lines_of_the_childs_output_file()
    {
        using var registry = new CliRegistry();
        string log = registry.PathOf("out.log");
        var result = registry.Outlive("run", "--name", "talker", "--stdout", log, "--", "sh", "-c", "seq 1 20; exec sleep 1000");
        Assert.Equal(0, result.ExitCode);
        Assert.True(Children.WaitUntil(() => File.Exists(log) && File.ReadAllText(log).EndsWith("20\n", StringComparison.Ordinal), TimeSpan.FromSeconds(5)));

        Assert.Equal("18\n19\n20\n", registry.Outlive("logs", "talker", "-n", "3").Stdout);
        Assert.Equal(string.Join("", Enumerable.Range(1, 20).Select(i => $"{i}\n")), registry.Outlive("logs", "talker", "-n", "100").Stdout);
        Assert.Equal("", registry.Outlive("logs", "talker", "-n", "0").Stdout);
    }
}
