namespace Outlive.SystemdBed.Sessions;

using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Outlive.SystemdBed.Bed;
using Outlive.SystemdBed.Diagnosis;
using Outlive.SystemdBed.Matrix;

/// <summary>
/// Real login sessions (pam_systemd through <c>su -l</c>) and real logouts (the session's leader exits), under
/// logind's KillUserProcesses=no and =yes, for users with and without linger: <c>outlive run</c>'s child is alive
/// 15 s after logout, or run refused before anything ran — and doctor, asked in the same session, said which.
/// </summary>
[Collection(SystemdBedCollection.Name)]
public sealed class SessionBedTests(SystemdBedFixture fixture)
{
    const string Dir = "/tmp/outlive-sessions";
    static readonly ConcurrentDictionary<string, string> Rows = new();

    sealed record Cell(string User, int Uid, bool Linger, int SleepArg);

    sealed record Outcome(Cell Cell, int RunExit, string RunError, JsonElement? Child, bool Alive, bool DoctorSaysSurvives, string DoctorAuto);

    [Theory(Timeout = 300_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task After_a_real_logout_the_child_is_alive_or_run_refused_up_front_and_doctor_in_the_session_said_which(bool killUserProcesses)
    {
        SystemdBed bed = fixture.Bed;
        string kup = killUserProcesses ? "yes" : "no";
        Cell[] cells =
        [
            new($"sess{kup}-nolinger", killUserProcesses ? 1612 : 1602, false, killUserProcesses ? 100612 : 100602),
            new($"sess{kup}-linger", killUserProcesses ? 1613 : 1603, true, killUserProcesses ? 100613 : 100603),
        ];
        await SetKillUserProcessesAsync(bed, killUserProcesses);
        var outcomes = new List<Outcome>();
        try
        {
            await bed.RunCheckedAsync("mkdir", "-p", "-m", "1777", Dir);
            foreach (Cell cell in cells)
                await EnsureUserAsync(bed, cell.User, cell.Uid, cell.Linger);

            // Both log in, start a child, and log out (the leader, su, exits when its command is done) at the same time.
            await Task.WhenAll(cells.Select(cell => LogInRunAndLogOutAsync(bed, cell)));
            // Without linger the user's manager stops ~10 s after the last session has gone (under KillUserProcesses=no an
            // abandoned session with a process left in it stays "closing", and the manager with it).
            await Task.Delay(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

            foreach (Cell cell in cells)
                outcomes.Add(Observe(bed, cell));
        }
        finally
        {
            await SetKillUserProcessesAsync(bed, false);
            foreach (Outcome o in outcomes.Where(o => o.Child is not null))
                await bed.RunAsync("kill", "-9", o.Child!.Value.GetProperty("pid").GetInt32().ToString(CultureInfo.InvariantCulture));
        }

        foreach (Outcome o in outcomes)
        {
            string row = Row(kup, o);
            Rows[$"{kup}-{o.Cell.Linger}"] = row;
            TestContext.Current.TestOutputHelper?.WriteLine($"{row} {o.RunError.Trim()}");
        }
        WriteSection(bed);

        foreach (Cell cell in cells)
        {
            // tree reads the same model: what a logout of this session does.
            string tree = bed.TryReadFile($"{Dir}/{cell.User}.tree.json") ?? "";
            Assert.True(tree.StartsWith('{'), $"{cell.User}: outlive tree said: {tree}");
            using var json = JsonDocument.Parse(tree);
            Assert.True(json.RootElement.TryGetProperty("killedAtLogout", out JsonElement killed), $"{cell.User}: outlive tree said: {tree[..Math.Min(400, tree.Length)]}");
            Assert.Equal(killUserProcesses, killed.GetBoolean());
        }
        foreach (Outcome o in outcomes)
        {
            bool lived = o.RunExit == 0 && o.Alive;
            Assert.True(o.RunExit is 0 or 5, $"{o.Cell.User}: outlive run exited {o.RunExit}: {o.RunError}");
            Assert.True(o.RunExit == 5 || o.Alive, $"{o.Cell.User}: run exited 0 and its child died at logout: {o.Child}");
            Assert.Equal(lived, o.DoctorSaysSurvives);
            if (o.RunExit == 5)
                Assert.Contains($"loginctl enable-linger {o.Cell.User}", o.RunError, StringComparison.Ordinal);
        }
        // The cells the issue names: abandoned sessions keep a setsid child; a killed one refuses without linger.
        Outcome noLinger = outcomes[0], linger = outcomes[1];
        if (!killUserProcesses)
        {
            Assert.Equal("setsid", noLinger.Child?.GetProperty("strategy").GetString());
            Assert.Equal("setsid", linger.Child?.GetProperty("strategy").GetString());
        }
        else
        {
            Assert.Equal(5, noLinger.RunExit);
            Assert.Equal("scope", linger.Child?.GetProperty("strategy").GetString());
            Assert.Equal("user", linger.Child?.GetProperty("manager").GetString());
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task Terminate_session_is_not_a_logout_it_kills_a_setsid_child_that_a_logout_would_have_left_alive()
    {
        SystemdBed bed = fixture.Bed;
        var cell = new Cell("sessterm", 1621, false, 100621);
        await bed.RunCheckedAsync("mkdir", "-p", "-m", "1777", Dir);
        await EnsureUserAsync(bed, cell.User, cell.Uid, linger: false);
        string prefix = $"{Dir}/{cell.User}";
        // The session stays open (sleep) until it is terminated.
        await bed.RunCheckedAsync("systemd-run", "--unit", $"login-{cell.User}", "--collect", "su", "-l", cell.User, "-c",
            $"{Outlive(cell)} run --json -- /bin/sleep {cell.SleepArg} > {prefix}.run.json 2> {prefix}.run.err; echo $? > {prefix}.rc; exec sleep 600");
        await BedWait.UntilAsync(() => Task.FromResult(bed.TryReadFile($"{prefix}.rc") is { Length: > 0 }));
        JsonElement child = JsonDocument.Parse(bed.TryReadFile($"{prefix}.run.json")!).RootElement.Clone();
        Assert.Equal("setsid", child.GetProperty("strategy").GetString());
        string session = (await bed.RunCheckedAsync("loginctl", "show-user", cell.User, "--property", "Sessions", "--value")).Trim().Split(' ')[0];

        await bed.RunCheckedAsync("loginctl", "terminate-session", session);
        await BedWait.UntilAsync(() => Task.FromResult(!bed.IsAlive(child.GetProperty("pid").GetInt32(), child.GetProperty("startTime").GetUInt64())));
        Assert.Contains("terminate-session would still kill it", child.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 300_000)]
    public async Task A_User_service_of_a_lingering_user_without_polkit_escapes_into_that_users_manager_survives_stop_and_doctor_said_so()
    {
        SystemdBed bed = fixture.Bed;
        const string User = "svclinger";
        const string Unit = "user-svc-linger.service";
        string record = $"{Dir}/{User}.run.json";
        await bed.RunCheckedAsync("mkdir", "-p", "-m", "1777", Dir);
        await EnsureUserAsync(bed, User, 1631, linger: true);
        await bed.InstallUnitsAsync(new Dictionary<string, string>
        {
            [Unit] = OutliveInBed.Service("control-group", $"OUTLIVE run --json -- /bin/sleep 100631 > {record} 2> {Dir}/{User}.run.err", user: User),
        });
        await bed.RunCheckedAsync("systemctl", "start", Unit);
        int mainPid = await OutliveInBed.MainPidAsync(bed, Unit);
        (int child, ulong startTime) = await OutliveInBed.ReadStartedChildAsync(bed, record);
        try
        {
            using var run = JsonDocument.Parse(bed.TryReadFile(record)!);
            Assert.Equal("scope", run.RootElement.GetProperty("strategy").GetString());
            Assert.Equal("user", run.RootElement.GetProperty("manager").GetString());
            Assert.StartsWith("/user.slice/user-1631.slice/user@1631.service/", await bed.TryReadUnifiedCgroupAsync(child), StringComparison.Ordinal);

            BedCommandResult doctor = await bed.RunOutliveAsync("doctor", "--pid", mainPid.ToString(CultureInfo.InvariantCulture), "--json");
            using var report = JsonDocument.Parse(doctor.Stdout);
            TestContext.Current.TestOutputHelper?.WriteLine(doctor.Stdout);
            Assert.True(report.RootElement.GetProperty("lingers").GetBoolean());
            Assert.Equal("scope", report.RootElement.GetProperty("auto").GetString());
            bool predicted = report.RootElement.GetProperty("childWouldSurvive").GetBoolean();

            await bed.RunCheckedAsync("systemctl", "stop", Unit);

            Assert.True(bed.IsAlive(child, startTime), "the child died with its User= service");
            Assert.True(predicted, "doctor said the child would not survive, and it did");
        }
        finally
        {
            await OutliveInBed.KillAsync(bed, child, mainPid);
        }
    }

    static Outcome Observe(SystemdBed bed, Cell cell)
    {
        string prefix = $"{Dir}/{cell.User}";
        int rc = int.Parse(bed.TryReadFile($"{prefix}.rc")?.Trim() ?? "-1", CultureInfo.InvariantCulture);
        string runJson = bed.TryReadFile($"{prefix}.run.json") ?? "";
        JsonElement? child = rc == 0 && runJson.Length > 0 ? JsonDocument.Parse(runJson).RootElement.Clone() : null;
        bool alive = child is { } c && bed.IsAlive(c.GetProperty("pid").GetInt32(), c.GetProperty("startTime").GetUInt64());
        using var doctor = JsonDocument.Parse(bed.TryReadFile($"{prefix}.doctor.json") ?? throw new InvalidOperationException($"{cell.User}: doctor wrote nothing: {bed.TryReadFile($"{prefix}.doctor.err")}"));
        return new Outcome(cell, rc, bed.TryReadFile($"{prefix}.run.err") ?? "", child, alive,
            doctor.RootElement.GetProperty("childWouldSurvive").GetBoolean(), doctor.RootElement.GetProperty("auto").GetString() ?? "?");
    }

    static async Task LogInRunAndLogOutAsync(SystemdBed bed, Cell cell)
    {
        string prefix = $"{Dir}/{cell.User}";
        // systemd expands $ in a transient unit's command line: $$$$ reaches the session's shell as $$.
        string script = $"{Outlive(cell)} tree --pid $$$$ --json > {prefix}.tree.json 2>&1; " +
            $"{Outlive(cell)} doctor --json > {prefix}.doctor.json 2> {prefix}.doctor.err; " +
            $"{Outlive(cell)} run --json -- /bin/sleep {cell.SleepArg} > {prefix}.run.json 2> {prefix}.run.err; echo $? > {prefix}.rc";
        BedCommandResult login = await bed.RunAsync(["systemd-run", "--unit", $"login-{cell.User}", "--collect", "--wait", "su", "-l", cell.User, "-c", script], TimeSpan.FromSeconds(120));
        Assert.True(login.ExitCode == 0, $"{cell.User}: the login session failed: {login}");
    }

    static string Outlive(Cell cell) => $"env DOTNET_ROOT={RepoLayout.DotnetRoot} {RepoLayout.Cli}";

    internal static async Task EnsureUserAsync(SystemdBed bed, string user, int uid, bool linger)
    {
        if ((await bed.RunAsync("id", "-u", user)).ExitCode != 0)
            await bed.RunCheckedAsync("useradd", "-m", "-u", uid.ToString(CultureInfo.InvariantCulture), user);
        await bed.RunCheckedAsync("loginctl", linger ? "enable-linger" : "disable-linger", user);
        if (linger)
            await BedWait.UntilAsync(async () => (await bed.RunAsync("systemctl", "is-active", $"user@{uid}.service")).Stdout.Trim() == "active");
    }

    static async Task SetKillUserProcessesAsync(SystemdBed bed, bool kill)
    {
        bed.WriteFile("/etc/systemd/logind.conf.d/outlive-sessions.conf", $"[Login]\nKillUserProcesses={(kill ? "yes" : "no")}\n");
        await bed.RunCheckedAsync("systemctl", "restart", "systemd-logind.service");
        await BedWait.UntilAsync(async () =>
            (await bed.RunAsync("busctl", "get-property", "org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.login1.Manager", "KillUserProcesses")).Stdout.Trim()
                == $"b {(kill ? "true" : "false")}");
    }

    static string Row(string kup, Outcome o)
    {
        string picked = o.RunExit == 5 ? "refused (exit 5, linger hint)"
            : o.Child is { } c ? $"{c.GetProperty("strategy").GetString()}{(c.TryGetProperty("manager", out var m) && m.ValueKind == JsonValueKind.String ? $" ({m.GetString()} manager)" : "")}"
            : $"exit {o.RunExit}";
        string after = o.RunExit == 5 ? "– (nothing ran)" : o.Alive ? "**alive**" : "killed";
        bool agrees = o.DoctorSaysSurvives == (o.RunExit == 0 && o.Alive);
        return $"| {kup} | {(o.Cell.Linger ? "on" : "off")} | {picked} | {after} | {(o.DoctorSaysSurvives ? "survives" : "dies")} (auto: {o.DoctorAuto}) | {(agrees ? "yes" : "**no**")} |";
    }

    static void WriteSection(SystemdBed bed)
    {
        var md = new StringBuilder();
        md.AppendLine("## Login sessions: a child started by `outlive run` (auto) in a real session, after a real logout");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Generated by `SessionBedTests` on **{bed.SystemdVersion}**, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Each user logs in with `su -l` " +
            $"(pam_systemd makes `session-cN.scope`), asks `outlive doctor`, runs `outlive run -- sleep …`, and logs out (the session's leader exits). " +
            $"The child is looked up 15 s after logout. KillUserProcesses is set with a " +
            $"`logind.conf.d` drop-in and a logind restart.");
        md.AppendLine();
        md.AppendLine("| KillUserProcesses | linger | auto did | child after logout | doctor, asked in the session | doctor agreed |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (string row in Rows.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Value))
            md.Append(row).Append('\n');
        md.AppendLine();
        md.AppendLine("`loginctl terminate-session` is not a logout: it kills every process of the session whatever KillUserProcesses says " +
            "(tested on its own: a setsid child left alive by a logout under `no` dies).");
        DocSection.Write("sessions", md.ToString());
    }
}
