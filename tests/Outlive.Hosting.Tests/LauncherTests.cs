using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Outlive.Hosting.Tests;

/// <summary>
/// The injected launcher: registered starts, log lines, the systemd variables a child never sees, and the handoff's
/// fallback where there is no systemd (the bed covers the handoff under systemd).
/// </summary>
public sealed class LauncherTests : IDisposable
{
    private readonly Scratch _scratch = new();
    private readonly LogLines _log = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _scratch.Dispose();

    private IHost Build() => TestHost.Build(new Dictionary<string, string?>(), builder =>
        builder.Services.AddOutlive(o => o.StateDirectory = _scratch.StateDirectory), _log);

    private string Out(string name) => Path.Combine(_scratch.Path, name);

    private static async Task<string> ReadWhenWrittenAsync(string path)
    {
        await TestHost.UntilAsync(() => File.Exists(path) && new FileInfo(path).Length > 0, Ct);
        return (await File.ReadAllTextAsync(path, Ct)).Trim();
    }

    [Fact(Timeout = 30_000)]
    public async Task A_start_is_registered_and_logged_with_its_name_pid_strategy_and_why()
    {
        using IHost host = Build();
        var launcher = host.Services.GetRequiredService<IOutliveLauncher>();

        LaunchedChild child = await launcher.StartAsync(new DetachedStartInfo { Program = "true" }, new RegistrationOptions(Name: "brief"), Ct);

        Assert.Equal("brief", (await launcher.Registry.GetAsync("brief", Ct)).Name);
        string line = Assert.Single(_log.Lines, l => l.Contains("brief", StringComparison.Ordinal));
        Assert.StartsWith("Information: Started child brief: pid " + child.Pid, line, StringComparison.Ordinal);
        Assert.Contains(child.Strategy.ToString(), line, StringComparison.Ordinal);
        Assert.Contains(child.Reason, line, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_start_that_fails_is_logged_as_an_error_and_thrown()
    {
        using IHost host = Build();
        var launcher = host.Services.GetRequiredService<IOutliveLauncher>();

        await Assert.ThrowsAsync<ProgramNotFoundException>(() => launcher.StartAsync(new DetachedStartInfo { Program = "no-such-program-42" }, cancellationToken: Ct));

        Assert.Contains(_log.Lines, l => l.StartsWith("Error: Could not start no-such-program-42: ", StringComparison.Ordinal));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_child_never_sees_the_hosts_NOTIFY_SOCKET_so_only_the_host_reports_ready_and_stopping()
    {
        using IHost host = Build();
        var launcher = host.Services.GetRequiredService<IOutliveLauncher>();
        string seen = Out("notify");
        // What UseSystemd() reads under Type=notify; this process's own variable, as systemd would have set it.
        Environment.SetEnvironmentVariable("NOTIFY_SOCKET", "/run/systemd/notify");
        try
        {
            await launcher.StartAsync(new DetachedStartInfo
            {
                Program = "sh",
                Arguments = ["-c", "echo \"${NOTIFY_SOCKET-none} ${WATCHDOG_USEC-none}\" > \"$0\"", seen],
                SetEnvironment = new Dictionary<string, string>(),
            }, cancellationToken: Ct);
        }
        finally
        {
            Environment.SetEnvironmentVariable("NOTIFY_SOCKET", null);
        }

        Assert.Equal("none none", await ReadWhenWrittenAsync(seen));
    }

    [Fact(Timeout = 30_000)]
    public async Task Without_systemd_the_handoff_starts_a_setsid_updater_told_the_callers_pid_and_says_no_restart_was_queued()
    {
        Assert.SkipWhen(Directory.Exists("/run/systemd/system"), "systemd is the init here: the bed tests the handoff under systemd");
        using IHost host = Build();
        var launcher = host.Services.GetRequiredService<IOutliveLauncher>();
        string told = Out("told");
        // An updater handed a stale unit name by whoever started this process must not pass it on.
        Environment.SetEnvironmentVariable(HandOffResult.UnitVariable, "stale.service");
        HandOffResult result;
        try
        {
            result = await launcher.HandOffAsync(new DetachedStartInfo
            {
                Program = "sh",
                Arguments = ["-c", "echo \"$OUTLIVE_HANDOFF_PID ${OUTLIVE_HANDOFF_UNIT-none} ${OUTLIVE_HANDOFF_MANAGER-none}\" > \"$0\"", told],
            }, HandOff.RestartOwnUnit, Ct);
        }
        finally
        {
            Environment.SetEnvironmentVariable(HandOffResult.UnitVariable, null);
        }

        Assert.Equal($"{Environment.ProcessId} none none", await ReadWhenWrittenAsync(told));
        Assert.Equal((EscapeStrategy.Setsid, null, null, false), (result.Updater.Strategy, result.Unit, result.Manager, result.RestartQueued));
        Assert.Contains("no restart queued: no systemd", result.Reason, StringComparison.Ordinal);
        string line = Assert.Single(_log.Lines, l => l.Contains("Handed off", StringComparison.Ordinal));
        Assert.StartsWith($"Warning: Handed off to sh: pid {result.Updater.Pid}, Setsid", line, StringComparison.Ordinal);
        Assert.Contains(result.Reason, line, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_handoff_without_a_restart_keeps_the_updaters_own_environment()
    {
        Assert.SkipWhen(Directory.Exists("/run/systemd/system"), "systemd is the init here: the bed tests the handoff under systemd");
        string told = Out("told");

        HandOffResult result = await Launcher.HandOffAsync(new DetachedStartInfo
        {
            Program = "sh",
            Arguments = ["-c", "echo \"$OUTLIVE_HANDOFF_PID $VERSION\" > \"$0\"", told],
            SetEnvironment = new Dictionary<string, string> { ["VERSION"] = "2.0" },
        }, cancellationToken: Ct);

        Assert.Equal($"{Environment.ProcessId} 2.0", await ReadWhenWrittenAsync(told));
        Assert.False(result.RestartQueued);
        Assert.DoesNotContain("restart", result.Reason, StringComparison.Ordinal);
    }
}
