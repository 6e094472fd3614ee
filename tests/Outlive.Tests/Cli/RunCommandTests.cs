using System.Text.Json;
using Outlive.Procfs;
using Outlive.Tests.Support;

namespace Outlive.Tests.Cli;

public sealed class RunCommandTests : IDisposable
{
    // run registers its child: keep the registry in a scratch dir, never the machine's /run/outlive.
    private readonly Repo.ScratchDir _registry = new();

    private Dictionary<string, string> StateDirEnvironment => new() { ["OUTLIVE_STATE_DIR"] = Path.Combine(_registry.Path, "state") };

    public void Dispose() => _registry.Dispose();

    private static ProcessIdentity StartedChild(Repo.Result result)
    {
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.Equal("setsid", root.GetProperty("strategy").GetString());
        return new ProcessIdentity(root.GetProperty("pid").GetInt32(), root.GetProperty("startTime").GetUInt64(), root.GetProperty("bootId").GetString()!);
    }

    [Fact]
    public void Run_prints_the_child_and_returns_while_the_child_lives_on_without_its_parent()
    {
        var child = StartedChild(Repo.Run(Repo.Cli, ["run", "--json", "--", "sleep", "300"], StateDirEnvironment));
        try
        {
            Assert.True(child.IsAlive());
            // Its parent, the outlive process, has exited: the child was reparented (C1).
            Assert.True(Children.WaitUntil(() => ProcStat.TryRead(child.Pid)!.ParentPid != Environment.ProcessId, TimeSpan.FromSeconds(5)));
            Assert.Equal(child.Pid, ProcStat.TryRead(child.Pid)!.SessionId);
        }
        finally
        {
            Children.Kill(child);
        }
    }

    [Fact]
    public void Systemd_service_variables_of_the_caller_do_not_reach_the_child()
    {
        var env = new Dictionary<string, string>(StateDirEnvironment)
        {
            ["NOTIFY_SOCKET"] = "/run/systemd/notify", ["LISTEN_FDS"] = "1", ["LISTEN_PID"] = "1",
            ["LISTEN_FDNAMES"] = "web", ["WATCHDOG_USEC"] = "1000000", ["WATCHDOG_PID"] = "1", ["KEEP_ME"] = "yes",
            ["INVOCATION_ID"] = "0123456789abcdef0123456789abcdef", ["JOURNAL_STREAM"] = "8:12345", ["SYSTEMD_EXEC_PID"] = "1",
            ["MANAGERPID"] = "1", ["RUNTIME_DIRECTORY"] = "/run/app", ["STATE_DIRECTORY"] = "/var/lib/app", ["CACHE_DIRECTORY"] = "/var/cache/app",
            ["LOGS_DIRECTORY"] = "/var/log/app", ["CONFIGURATION_DIRECTORY"] = "/etc/app", ["CREDENTIALS_DIRECTORY"] = "/run/credentials/app.service",
            ["EXIT_CODE"] = "exited", ["EXIT_STATUS"] = "0", ["MONITOR_SERVICE_RESULT"] = "success", ["MONITOR_UNIT"] = "app.service",
        };
        string[] unitOnly = [.. env.Keys.Where(k => k is not ("KEEP_ME" or "OUTLIVE_STATE_DIR") && !StateDirEnvironment.ContainsKey(k))];
        var child = StartedChild(Repo.Run(Repo.Cli, ["run", "--json", "--env", "ADDED=1", "--unset-env", "HOME", "--", "sleep", "300"], env));
        try
        {
            Children.WaitForExec(child.Pid, "sleep");
            var childEnv = Children.Environ(child.Pid);
            Assert.Empty(childEnv.Keys.Intersect(unitOnly));
            Assert.DoesNotContain("HOME", childEnv.Keys);
            Assert.Equal("yes", childEnv["KEEP_ME"]);
            Assert.Equal("1", childEnv["ADDED"]);
        }
        finally
        {
            Children.Kill(child);
        }
    }

    [Theory]
    [InlineData(127, "program not found", new[] { "run", "--", "no-such-program-42" })]
    [InlineData(126, "not executable", new[] { "run", "--", "/proc/version" })]
    [InlineData(125, "working directory does not exist", new[] { "run", "--cwd", "/no/such/dir", "--", "true" })]
    [InlineData(125, "unknown user", new[] { "run", "--uid", "no-such-user-42", "--", "true" })]
    [InlineData(125, "output directory does not exist", new[] { "run", "--stdout", "/no/such/dir/log", "--", "true" })]
    [InlineData(2, "--umask", new[] { "run", "--umask", "9x", "--", "true" })]
    [InlineData(2, "--env", new[] { "run", "--env", "NOEQUALS", "--", "true" })]
    [InlineData(2, "unknown option '--bogus'", new[] { "run", "--bogus", "--", "true" })]
    [InlineData(2, "Required argument", new[] { "run" })]
    [InlineData(2, "property Nice is not one Outlive sets", new[] { "run", "--escape", "scope", "-p", "Nice=5", "--", "true" })]
    [InlineData(2, "property MemoryMax=lots is not valid", new[] { "run", "--escape", "scope", "-p", "MemoryMax=lots", "--", "true" })]
    [InlineData(2, "unit properties (-p) applies to a transient unit", new[] { "run", "--escape", "setsid", "-p", "MemoryMax=1G", "--", "true" })]
    [InlineData(2, "a unit name (--unit) applies to a transient unit", new[] { "run", "--escape", "setsid", "-u", "web", "--", "true" })]
    [InlineData(2, "--user and --system name one manager each", new[] { "run", "--user", "--system", "--", "true" })]
    [InlineData(2, "--same-dir and --cwd", new[] { "run", "-d", "--cwd", "/", "--", "true" })]
    public void Bad_input_gets_one_line_naming_it_and_its_documented_exit_code(int exitCode, string message, string[] args)
    {
        var result = Repo.Run(Repo.Cli, args, StateDirEnvironment);
        Assert.Equal(exitCode, result.ExitCode);
        Assert.Equal("", result.Stdout);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("outlive: ", line, StringComparison.Ordinal);
        Assert.Contains(message, line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_state_dir_the_user_may_not_use_is_one_line_naming_it_and_nothing_starts()
    {
        Assert.SkipUnless(Environment.IsPrivilegedProcess, "running the CLI as nobody needs root");
        string marker = $"{Random.Shared.Next(100_000, 999_999)}";
        var result = Repo.Run("setpriv", ["--reuid", "65534", "--regid", "65534", "--clear-groups",
            Repo.Cli, "run", "--state-dir", "/root/outlive-not-yours", "--", "sleep", marker]);

        Assert.Equal(ExitCodes.PermissionDenied, result.ExitCode);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("/root/outlive-not-yours", line, StringComparison.Ordinal);
        Assert.Contains("--state-dir", line, StringComparison.Ordinal);
        Assert.DoesNotContain(Children.AllStats(), s => Children.CommandLine(s.Pid).Contains($"sleep {marker}", StringComparison.Ordinal));
    }

    [Fact]
    public void Help_documents_every_exit_code()
    {
        var result = Repo.Run(Repo.Cli, ["--help"]);
        Assert.Equal(0, result.ExitCode);
        foreach (int code in new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 125, 126, 127 })
            Assert.Matches($@"\n\s+{code}\s+\S", result.Stdout);
    }

    /// <summary>
    /// C1 and C9 outside systemd: a shell with a real controlling terminal (script(1) gives it a pty)
    /// starts one plain background child and one through outlive, then exits. The kernel hangs up the
    /// terminal's foreground process group: the plain child dies of SIGHUP, the detached one lives.
    /// </summary>
    [Fact]
    public void When_the_terminal_session_ends_a_plain_child_is_hung_up_and_a_detached_one_lives_C1_C9()
    {
        using var scratch = new Repo.ScratchDir();
        string pids = Path.Combine(scratch.Path, "pids");
        string shell = $"sleep 301 & echo plain $! > {pids}; {Repo.Cli} run -- sleep 302 | sed 's/^/detached /' >> {pids}; sleep 0.5";
        var result = Repo.Run("script", ["-qec", shell, "/dev/null"], StateDirEnvironment);
        Assert.Equal(0, result.ExitCode);

        var started = File.ReadAllLines(pids).Select(l => l.Split(' ')).ToDictionary(p => p[0], p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
        var detached = ProcessIdentity.TryCapture(started["detached"]);
        try
        {
            Assert.True(Children.WaitUntil(() => ProcStat.TryRead(started["plain"]) is null or { IsZombie: true }, TimeSpan.FromSeconds(5)),
                "the plain child should have died of SIGHUP with its terminal session");
            Assert.NotNull(detached);
            Assert.True(detached.IsAlive());
            Assert.Equal("sleep", ProcStat.TryRead(detached.Pid)!.Command);
        }
        finally
        {
            if (detached is not null)
                Children.Kill(detached);
        }
    }

    [Fact]
    public void Run_loads_no_OpenSSL_so_it_works_where_libssl_is_missing()
    {
        // The dynamic loader reports every library it opens; unit names and tokens come from getrandom(2).
        var env = new Dictionary<string, string>(StateDirEnvironment) { ["LD_DEBUG"] = "files" };

        var run = Repo.Run(Repo.Cli, ["run", "--", "true"], env);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("calling init", run.Stderr, StringComparison.Ordinal); // the loader did report
        Assert.DoesNotContain("libssl", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("libcrypto", run.Stderr, StringComparison.Ordinal);
    }
}
