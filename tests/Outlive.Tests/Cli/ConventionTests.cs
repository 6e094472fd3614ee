using System.Diagnostics;
using Outlive.Tests.Support;

namespace Outlive.Tests.Cli;

/// <summary>What scripts, monitoring and an operator's terminal rely on: safe output, one-line errors, exact codes.</summary>
public sealed class ConventionTests : IDisposable
{
    private readonly CliRegistry _registry = new();

    public void Dispose() => _registry.Dispose();

    [Fact]
    public void A_command_line_with_escape_sequences_reaches_the_terminal_escaped_in_ps_and_status_and_exact_in_json()
    {
        _registry.Run("painted", "sh", "-c", "exec sleep 1000", "\u001b]0;owned\u0007\u001b[31mred\u202e");

        var ps = _registry.Outlive("ps");
        var json = _registry.Outlive("ps", "--json");

        Assert.Equal(0, ps.ExitCode);
        Assert.DoesNotContain('\u001b', ps.Stdout);
        Assert.DoesNotContain('\u0007', ps.Stdout);
        Assert.DoesNotContain('\u202e', ps.Stdout);
        Assert.Contains(@"\x1b]0;owned\x07\x1b[31mred\u202e", ps.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', json.Stdout); // JSON escapes it its own way, and keeps the exact text
        Assert.Contains("\u001b]0;owned", System.Text.Json.JsonDocument.Parse(json.Stdout).RootElement[0].GetProperty("command")[3].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_pid_file_that_holds_something_else_is_neither_overwritten_nor_deleted()
    {
        string config = _registry.PathOf("notapid.conf");
        File.WriteAllText(config, "listen = 8080\n");

        var run = _registry.Outlive("run", "--pidfile", config, "--", "sleep", "1000");

        Assert.Equal(ExitCodes.Conflict, run.ExitCode);
        Assert.Equal($"outlive: pid file {config} holds something that is not a PID, so it is not a PID file: remove it or choose another --pidfile\n", run.Stderr);
        Assert.Equal("listen = 8080\n", File.ReadAllText(config));
        Assert.Equal("[]", _registry.Outlive("ps", "--json", "--all").Stdout.Trim());
    }

    [Theory]
    [InlineData(new[] { "--escape", "bogus" }, "outlive: --escape 'bogus' is not a strategy: use auto, setsid, scope or service\n")]
    [InlineData(new[] { "--escape", "setsid", "--restart", "always" }, "outlive: a restart policy (--restart) applies to a transient service only (--escape service), and this child gets setsid\n")]
    public void Bad_run_options_are_one_line_and_exit_2_before_anything_starts(string[] options, string error)
    {
        var run = _registry.Outlive("run", [.. options, "--", "sleep", "1000"]);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal(error, run.Stderr);
        Assert.Equal("[]", _registry.Outlive("ps", "--json", "--all").Stdout.Trim());
    }

    [Fact]
    public void A_slice_for_a_child_that_gets_no_unit_is_refused()
    {
        var run = _registry.Outlive("run", "--escape", "setsid", "--slice", "app.slice", "--", "sleep", "1000");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("outlive: a slice (--slice) applies to a transient unit, and this child gets none", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("500ms", 0)]
    [InlineData("90s", 0)]
    [InlineData("36h", 0)]
    [InlineData("1d", 0)]
    [InlineData("86401", 0)]
    [InlineData("400d", 2)]
    [InlineData("soon", 2)]
    public void Stop_timeouts_take_ms_s_m_h_and_d_up_to_a_year(string timeout, int exitCode)
    {
        _registry.Run("quick", "sleep", "1000");

        var stop = _registry.Outlive("stop", "quick", "--timeout", timeout);

        Assert.Equal(exitCode, stop.ExitCode);
        if (exitCode == 2)
            Assert.Equal($"outlive: --timeout '{timeout}' is not a duration of at most 365 days: write it like 500ms, 90s, 2m, 36h or 1d\n", stop.Stderr);
    }

    [Fact]
    public void Stop_with_a_read_only_state_dir_says_the_child_stopped_but_its_entry_stayed_and_exits_11()
    {
        Assert.SkipUnless(Environment.IsPrivilegedProcess, "a read-only bind mount needs root");
        var child = _registry.Run("pinned", "sleep", "1000");
        string dir = _registry.StateDir;

        // In a mount namespace of its own, the state dir is a read-only bind mount; the real one stays writable.
        var stop = Repo.Run("unshare", ["-m", "sh", "-c", $"mount --bind {dir} {dir} && mount -o remount,bind,ro {dir} && exec \"$0\" stop --state-dir {dir} pinned", Repo.Cli]);

        Assert.Equal(ExitCodes.StoppedEntryKept, stop.ExitCode);
        Assert.StartsWith($"outlive: 'pinned' (pid {child.Pid}) is stopped, but its entry could not be removed", stop.Stderr, StringComparison.Ordinal);
        Assert.False(child.IsAlive());
        Assert.Contains("removed pinned", _registry.Outlive("prune").Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Replace_with_a_start_that_would_fail_leaves_the_running_child_alone()
    {
        var running = _registry.Run("web", "sleep", "1000");

        var replace = _registry.Outlive("run", "--name", "web", "--replace", "--", "./no-such-server");

        Assert.Equal(ExitCodes.ProgramNotFound, replace.ExitCode);
        Assert.True(running.IsAlive(), "--replace stopped the running child for a start that could not happen");
        Assert.Equal(0, _registry.Outlive("status", "web").ExitCode);
    }
}
