using System.Globalization;
using System.Text.Json;
using Outlive.SystemdBed.Bed;

namespace Outlive.SystemdBed.Escape;

/// <summary>
/// `outlive run` from inside real units of the bed's systemd: where auto must refuse, the user manager,
/// the start/stop race, and that transient units are collected.
/// </summary>
[Collection(SystemdBedCollection.Name)]
public sealed class EscapeTests(SystemdBedFixture fixture)
{
    private const string Outputs = "/run/escape-tests";

    private Bed.SystemdBed Bed => fixture.Bed;

    /// <summary>A oneshot unit whose only job is one `outlive run`, its JSON and exit code kept in /run/escape-tests.</summary>
    private static string RunOnceUnit(string tag, string killMode, string runArgs, string extra = "") => $"""
        [Service]
        Type=oneshot
        RemainAfterExit=yes
        KillMode={killMode}
        Environment=DOTNET_ROOT={RepoLayout.DotnetRoot}
        ExecStart=/bin/sh -c '{RepoLayout.Cli} run --json {runArgs} > {Outputs}/{tag}.out 2>&1; echo $? > {Outputs}/{tag}.rc'
        {extra}

        """;

    private async Task PrepareOutputsAsync() => await Bed.RunCheckedAsync("mkdir", "-p", "-m", "1777", Outputs);

    private (int ExitCode, string Output) Result(string tag) =>
        (int.Parse(Bed.TryReadFile($"{Outputs}/{tag}.rc")!.Trim(), CultureInfo.InvariantCulture), Bed.TryReadFile($"{Outputs}/{tag}.out")!);

    private static JsonElement Json(string output) => JsonDocument.Parse(output).RootElement.Clone();

    private async Task<string[]> ProcessesOfUserAsync(string user, string comm) =>
        (await Bed.RunAsync("pgrep", "-u", user, "-x", comm)).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact(Timeout = 300_000)]
    public async Task A_User_nobody_service_under_control_group_is_refused_by_auto_and_nothing_runs_the_seeds_User_case()
    {
        await PrepareOutputsAsync();
        const string tag = "nobody-control-group";
        await Bed.InstallUnitsAsync(new Dictionary<string, string>
        {
            [$"{tag}.service"] = RunOnceUnit(tag, "control-group", "-- sleep 100001", "User=nobody"),
        });
        await Bed.RunAsync("systemctl", "start", $"{tag}.service");

        (int exitCode, string output) = Result(tag);
        Assert.Equal(ExitCodes.EscapeRefused, exitCode);
        string line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("outlive: nothing started:", line, StringComparison.Ordinal);
        Assert.Contains($"outlive fix-unit {tag}.service", line, StringComparison.Ordinal);
        Assert.Contains("org.freedesktop.systemd1.manage-units", line, StringComparison.Ordinal);
        // The held child was let go without running its program.
        Assert.Empty(await ProcessesOfUserAsync("nobody", "sleep"));
    }

    [Fact(Timeout = 300_000)]
    public async Task A_User_nobody_service_with_KillMode_process_gets_a_setsid_child_that_survives_stop()
    {
        await PrepareOutputsAsync();
        const string tag = "nobody-process";
        await Bed.InstallUnitsAsync(new Dictionary<string, string>
        {
            [$"{tag}.service"] = RunOnceUnit(tag, "process", "-- sleep 100002", "User=nobody"),
        });
        await Bed.RunCheckedAsync("systemctl", "start", $"{tag}.service");
        (int exitCode, string output) = Result(tag);
        Assert.Equal(0, exitCode);
        JsonElement child = Json(output);
        Assert.Equal("setsid", child.GetProperty("strategy").GetString());
        Assert.Contains("KillMode=process", child.GetProperty("reason").GetString(), StringComparison.Ordinal);

        await Bed.RunCheckedAsync("systemctl", "stop", $"{tag}.service");
        Assert.True(Bed.IsAlive(child.GetProperty("pid").GetInt32(), child.GetProperty("startTime").GetUInt64()));
        await Bed.RunAsync("kill", child.GetProperty("pid").GetInt32().ToString(CultureInfo.InvariantCulture));
    }

    [Fact(Timeout = 300_000)]
    public async Task A_user_managers_service_escapes_into_a_scope_of_the_user_manager()
    {
        await PrepareOutputsAsync();
        const string user = "outlivetest";
        const string tag = "user-manager";
        await Bed.RunCheckedAsync("useradd", "-m", "-u", "1500", user);
        await Bed.RunCheckedAsync("loginctl", "enable-linger", user);
        await BedWait.UntilAsync(async () => (await Bed.RunAsync("systemctl", "is-active", "user@1500.service")).Stdout.Trim() == "active");
        Bed.WriteFile($"/etc/systemd/user/{tag}.service", RunOnceUnit(tag, "control-group", "-- sleep 100003"));
        string[] asUser = ["setpriv", "--reuid", "1500", "--regid", "1500", "--init-groups", "env", "XDG_RUNTIME_DIR=/run/user/1500",
            "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1500/bus", "systemctl", "--user"];
        await Bed.RunCheckedAsync([.. asUser, "daemon-reload"]);
        await Bed.RunCheckedAsync([.. asUser, "start", $"{tag}.service"]);

        (int exitCode, string output) = Result(tag);
        Assert.True(exitCode == 0, output);
        JsonElement child = Json(output);
        Assert.Equal("scope", child.GetProperty("strategy").GetString());
        Assert.Equal("user", child.GetProperty("manager").GetString());
        string scope = child.GetProperty("unit").GetString()!;
        int pid = child.GetProperty("pid").GetInt32();
        Assert.Equal($"/user.slice/user-1500.slice/user@1500.service/app.slice/{scope}", await Bed.TryReadUnifiedCgroupAsync(pid));

        await Bed.RunCheckedAsync([.. asUser, "stop", $"{tag}.service"]);
        Assert.True(Bed.IsAlive(pid, child.GetProperty("startTime").GetUInt64()));
        await Bed.RunAsync("kill", pid.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The race the held start closes: the parent unit is stopped while it starts 50 children. Every child
    /// whose start returned lives on in its own scope, and no child ever ran its program inside the unit.
    /// </summary>
    [Fact(Timeout = 300_000)]
    public async Task Stopping_the_parent_while_it_starts_50_scoped_children_leaves_every_started_child_alive_in_its_scope()
    {
        await PrepareOutputsAsync();
        const string unit = "race-parent.service";
        const string started = Outputs + "/race.started";
        await Bed.InstallUnitsAsync(new Dictionary<string, string>
        {
            [unit] = $"""
                [Service]
                Environment=DOTNET_ROOT={RepoLayout.DotnetRoot}
                ExecStart=/bin/sh -c 'for i in $(seq 50); do {RepoLayout.Cli} run --escape scope --json -- sleep 100004 >> {started} || exit 1; done; exec sleep infinity'

                """,
        });
        await Bed.RunCheckedAsync("systemctl", "start", unit);
        await BedWait.UntilAsync(() => Task.FromResult((Bed.TryReadFile(started) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= 5));
        await Bed.RunCheckedAsync("systemctl", "stop", unit);

        JsonElement[] children = [.. (Bed.TryReadFile(started) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Json)];
        TestContext.Current.TestOutputHelper?.WriteLine($"{children.Length} of 50 children started before the stop");
        Assert.InRange(children.Length, 5, 50);
        foreach (JsonElement child in children)
        {
            int pid = child.GetProperty("pid").GetInt32();
            Assert.True(Bed.IsAlive(pid, child.GetProperty("startTime").GetUInt64()), $"child {pid} died with its parent");
            Assert.Equal($"/system.slice/{child.GetProperty("unit").GetString()}", await Bed.TryReadUnifiedCgroupAsync(pid));
        }
        // Every `sleep 100004` in the bed is one of the reported children: none runs in the stopped unit.
        string[] sleeping = (await Bed.RunAsync("pgrep", "-f", "sleep 100004")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(children.Select(c => c.GetProperty("pid").GetInt32()).Order(), sleeping.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).Order());
        await Bed.RunAsync("pkill", "-f", "sleep 100004");
    }

    [Fact(Timeout = 300_000)]
    public async Task A_hundred_scopes_of_short_lived_children_are_all_collected_and_no_unit_is_left()
    {
        await PrepareOutputsAsync();
        // Four at a time, each its own registry name; half the children fail, so failed scopes must be collected too.
        string script = $"seq 100 | xargs -P 4 -I N {RepoLayout.Cli} run --escape scope --name collectN -- /bin/sh -c 'exit $((N % 2))'";
        BedCommandResult run = await Bed.RunAsync(["env", $"DOTNET_ROOT={RepoLayout.DotnetRoot}", "/bin/sh", "-c", script], TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, run.ToString());

        await BedWait.UntilAsync(async () => (await Bed.RunCheckedAsync("systemctl", "list-units", "--all", "--no-legend", "outlive-collect*")).Trim().Length == 0);
        Assert.Equal("", (await Bed.RunCheckedAsync("systemctl", "list-units", "--all", "--no-legend", "outlive-collect*")).Trim());
    }

    [Fact(Timeout = 300_000)]
    public async Task A_service_child_gets_the_asked_umask_environment_and_output_file()
    {
        await PrepareOutputsAsync();
        string output = $"{Outputs}/service-umask.out";
        BedCommandResult run = await Bed.RunAsync(["env", $"DOTNET_ROOT={RepoLayout.DotnetRoot}", RepoLayout.Cli, "run", "--escape", "service", "--json",
            "--umask", "027", "--env", "ASKED=yes", "--stdout", output, "--", "/bin/sh", "-c", "umask; echo $ASKED; exec sleep 100005"], TimeSpan.FromMinutes(1));
        Assert.True(run.ExitCode == 0, run.ToString());
        string unit = Json(run.Stdout).GetProperty("unit").GetString()!;
        try
        {
            await BedWait.UntilAsync(() => Task.FromResult(Bed.TryReadFile(output) is { } text && text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 2));
            Assert.Equal("0027\nyes\n", Bed.TryReadFile(output));
        }
        finally
        {
            await Bed.RunAsync("systemctl", "stop", unit);
        }
    }

    [Theory(Timeout = 300_000)]
    [InlineData("false", "exited 1")]
    [InlineData("true", "exited successfully")]
    public async Task A_service_whose_program_exits_at_once_is_reported_with_its_status_never_as_pid_0(string program, string said)
    {
        BedCommandResult run = await Bed.RunAsync(["env", $"DOTNET_ROOT={RepoLayout.DotnetRoot}", RepoLayout.Cli, "run", "--escape", "service",
            "--state-dir", $"{Outputs}/exits", "--", program], TimeSpan.FromMinutes(1));

        Assert.Equal(ExitCodes.ExitedAtOnce, run.ExitCode);
        Assert.Equal("", run.Stdout);
        string line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(said, line, StringComparison.Ordinal);
        Assert.Contains("--escape scope", line, StringComparison.Ordinal);
        // Nothing registered, and the failed unit was reset rather than left behind.
        Assert.Equal("", (await Bed.RunCheckedAsync("systemctl", "list-units", "--all", "--no-legend", $"outlive-{program}-*")).Trim());
    }
}
