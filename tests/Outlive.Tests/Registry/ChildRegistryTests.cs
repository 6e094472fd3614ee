using System.Text.Json;
using Outlive.Interop;
using Outlive.Registry;

namespace Outlive.Tests.Registry;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ChildRegistryTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ScratchDir _dir = new();
    private readonly TestChild _child = TestChild.Sleeping();

    public void Dispose()
    {
        _child.Dispose();
        _dir.Dispose();
    }

    [Fact(Timeout = 120_000)]
    public async Task A_registered_child_is_listed_as_running_and_is_gone_from_the_list_once_removed()
    {
        var registry = _dir.Registry();
        var entry = await registry.RegisterAsync("web", _child.Identity, pidFile: null);

        var listing = registry.List();
        var listed = Assert.Single(listing.Entries);
        Assert.Empty(listing.Problems);
        Assert.Equal(entry with { Command = listed.Command }, listed);
        Assert.Equal(["sleep", "100"], listed.Command);
        Assert.Equal(ChildState.Running, await registry.GetStateAsync(listed, Ct));
        Assert.Equal(entry, (await registry.FindAsync("web", Ct)) with { Command = entry.Command });
        Assert.Equal("web", (await registry.FindAsync(_child.Pid.ToString(), Ct)).Name);

        Assert.True(registry.Remove(listed));
        Assert.Empty(registry.List().Entries);
        await Assert.ThrowsAsync<ChildNotFoundException>(() => registry.FindAsync("web", Ct));
    }

    [Fact(Timeout = 120_000)]
    public async Task The_entry_file_uses_the_documented_camel_case_names()
    {
        var registry = _dir.Registry();
        await registry.RegisterAsync("web", _child.Identity);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir.StateDir, "web.json")));
        string[] names = [.. json.RootElement.EnumerateObject().Select(p => p.Name)];
        Assert.Equal(
            ["schemaVersion", "name", "pid", "startTimeTicks", "bootId", "strategy", "unit", "command", "cwd",
             "stdoutPath", "stderrPath", "pidFile", "startedByUid", "startedAtUtc", "manager", "stdoutFile", "stderrFile", "childUid", "journalIdentifier"],
            names);
        Assert.Equal(1, json.RootElement.GetProperty("schemaVersion").GetInt32());
        // Enums by their fixed JSON names, not by whatever ToString() gives.
        Assert.Equal("setsid", json.RootElement.GetProperty("strategy").GetString());
        Assert.EndsWith("Z", json.RootElement.GetProperty("startedAtUtc").GetString());
    }

    [Fact(Timeout = 120_000)]
    public async Task Entry_files_are_0600_and_the_state_dir_is_0700()
    {
        await _dir.Registry().RegisterAsync("web", _child.Identity);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_dir.StateDir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir.StateDir, "web.json")));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_reservation_abandoned_because_the_start_failed_leaves_no_file()
    {
        var registry = _dir.Registry();
        using (var reservation = await registry.ReserveAsync("web", "sleep", replace: false, Ct))
            Assert.Equal(["web.reservation"], Directory.GetFiles(_dir.StateDir).Select(Path.GetFileName).Where(f => f != ".lock"));

        Assert.Equal([".lock"], Directory.GetFiles(_dir.StateDir).Select(Path.GetFileName));
        Assert.Empty(registry.List().Entries);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_name_being_reserved_cannot_be_reserved_again_until_dropped()
    {
        var registry = _dir.Registry();
        var first = await registry.ReserveAsync("web", "sleep", replace: false, Ct);

        var conflict = await Assert.ThrowsAsync<ConflictException>(() => _dir.Registry().ReserveAsync("web", "sleep", replace: false, Ct));
        Assert.Equal(ExitCodes.Conflict, ExitCodes.For(conflict));

        first.Dispose();
        using var second = await registry.ReserveAsync("web", "sleep", replace: false, Ct);
        Assert.Equal("web", second.Name);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_live_name_conflicts_and_replace_hands_back_the_live_entry_to_stop_first()
    {
        var registry = _dir.Registry();
        var existing = await registry.RegisterAsync("web", _child.Identity);

        var conflict = await Assert.ThrowsAsync<ConflictException>(() => registry.ReserveAsync("web", "sleep", replace: false, Ct));
        Assert.Contains("--replace", conflict.Message);

        using var reservation = await registry.ReserveAsync("web", "sleep", replace: true, Ct);
        Assert.Equal(existing, reservation.Replaces! with { Command = existing.Command });
    }

    [Fact(Timeout = 120_000)]
    public async Task The_name_of_a_gone_child_is_free_again_and_prune_removes_its_entry()
    {
        var registry = _dir.Registry();
        var gone = await registry.RegisterAsync("old", _child.Identity with { StartTimeTicks = _child.Identity.StartTimeTicks + 1 });
        var live = await registry.RegisterAsync("live", _child.Identity);

        Assert.Equal(ChildState.Gone, await registry.GetStateAsync(gone, Ct));
        using (var reservation = await registry.ReserveAsync("old", "sleep", replace: false, Ct))
            Assert.Null(reservation.Replaces);

        var pruned = Assert.Single(await registry.PruneAsync(Ct));
        Assert.Equal("old", pruned.Name);
        Assert.Equal("live", Assert.Single(registry.List().Entries).Name);
        Assert.Equal(ChildState.Running, await registry.GetStateAsync(live, Ct));
    }

    [Fact(Timeout = 120_000)]
    public async Task An_entry_from_another_boot_is_gone()
    {
        var registry = _dir.Registry();
        var entry = await registry.RegisterAsync("web", _child.Identity with { BootId = Guid.NewGuid().ToString() });

        Assert.Equal(ChildState.Gone, await registry.GetStateAsync(entry, Ct));
    }

    [Fact(Timeout = 120_000)]
    public async Task The_unit_state_hook_decides_when_it_answers()
    {
        // A scope or service child: its unit's state is asked first.
        var entry = await _dir.Registry().RegisterAsync("web", _child.Identity) with { Unit = "outlive-web-1234abcd.scope" };

        Assert.Equal(ChildState.Gone, await _dir.Registry((e, _) => Task.FromResult<ChildState?>(e.Name == "web" ? ChildState.Gone : null)).GetStateAsync(entry, Ct));
        Assert.Equal(ChildState.Running, await _dir.Registry((_, _) => Task.FromResult<ChildState?>(null)).GetStateAsync(entry, Ct));
    }

    [Fact(Timeout = 120_000)]
    public async Task Without_a_name_the_child_is_named_after_its_program_and_four_hex_digits()
    {
        using var reservation = await _dir.Registry().ReserveAsync(null, "/usr/bin/python3.12", replace: false, Ct);

        Assert.Matches("^python3\\.12-[0-9a-f]{4}$", reservation.Name);
    }

    [Theory(Timeout = 120_000)]
    [InlineData("../etc")]
    [InlineData("1234")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    [InlineData("")]
    public async Task A_name_that_cannot_be_a_file_name_or_looks_like_a_pid_is_refused(string name)
    {
        var error = await Assert.ThrowsAsync<InvalidNameException>(() => _dir.Registry().ReserveAsync(name, "sleep", replace: false, Ct));
        Assert.Equal(ExitCodes.Usage, ExitCodes.For(error));
    }

    [Fact(Timeout = 120_000)]
    public async Task Garbage_truncated_symlinked_and_misnamed_entry_files_are_reported_and_skipped()
    {
        var registry = _dir.Registry();
        await registry.RegisterAsync("good", _child.Identity);
        string good = File.ReadAllText(Path.Combine(_dir.StateDir, "good.json"));
        File.WriteAllText(Path.Combine(_dir.StateDir, "garbage.json"), "\u0001not json at all");
        File.WriteAllText(Path.Combine(_dir.StateDir, "truncated.json"), good[..(good.Length / 2)]);
        File.WriteAllText(Path.Combine(_dir.StateDir, "empty.json"), "");
        File.WriteAllText(Path.Combine(_dir.StateDir, "partial.json"), """{"schemaVersion":1,"name":"partial","pid":5}""");
        File.WriteAllText(Path.Combine(_dir.StateDir, "other.json"), good);
        File.WriteAllText(Path.Combine(_dir.StateDir, "future.json"), good.Replace("\"schemaVersion\": 1", "\"schemaVersion\": 2").Replace("\"good\"", "\"future\""));
        File.CreateSymbolicLink(Path.Combine(_dir.StateDir, "link.json"), Path.Combine(_dir.StateDir, "good.json"));
        Directory.CreateDirectory(Path.Combine(_dir.StateDir, "dir.json"));

        var listing = registry.List();

        Assert.Equal("good", Assert.Single(listing.Entries).Name);
        var reasons = listing.Problems.ToDictionary(p => Path.GetFileName(p.Path), p => p.Reason);
        Assert.Equal(
            ["dir.json", "empty.json", "future.json", "garbage.json", "link.json", "other.json", "partial.json", "truncated.json"],
            reasons.Keys.Order());
        Assert.Contains("symlink", reasons["link.json"]);
        Assert.Contains("not a regular file", reasons["dir.json"]);
        Assert.Contains("schema version 2", reasons["future.json"]);
        Assert.Contains("stored as 'other'", reasons["other.json"]);
        Assert.Contains("not a valid entry", reasons["truncated.json"]);
        Assert.All(reasons.Values, r => Assert.DoesNotContain('\n', r));
    }

    [Fact(Timeout = 120_000)]
    public async Task Run_and_status_find_interrupted_planned_starts_by_their_markers_and_ps_and_prune_also_those_of_earlier_versions()
    {
        var registry = _dir.Registry();
        string Marker(string name) => Path.Combine(_dir.StateDir, ".planned", name);
        var planned = new PlannedStart("outlive-web.service", ManagerKind.User, EscapeStrategy.Service, ["sleep", "100"], "/", null, null);
        var web = await registry.ReserveAsync("web", "sleep", replace: false, Ct);
        web.Plan(planned);
        web.Abandon(); // held by nobody now: interrupted
        Assert.True(File.Exists(Marker("web")));
        var old = await registry.ReserveAsync("old", "sleep", replace: false, Ct);
        old.Plan(planned with { Unit = "outlive-old.service" });
        old.Abandon();
        File.Delete(Marker("old")); // as an earlier version planned it
        File.WriteAllText(Marker("gone"), ""); // its start ended between marking and planning
        using (var live = await registry.ReserveAsync("live", "sleep", replace: false, Ct))
        {
            live.Plan(planned with { Unit = "outlive-live.service" });

            Assert.Equal(["web"], registry.InterruptedStarts().Select(i => i.Name));
            Assert.False(File.Exists(Marker("gone")));
            using (var scan = registry.Scan())
                Assert.Equal(["old", "web"], registry.InterruptedStarts(scan).Select(i => i.Name).Order());
            live.Commit(Launches.Of(_child.Identity));
        }
        Assert.False(File.Exists(Marker("live"))); // gone with its reservation
    }

    /// <summary>Registry files are not fsynced (they describe this boot only): a power loss may leave them empty or cut.</summary>
    [Theory(Timeout = 120_000)]
    [InlineData(0)]
    [InlineData(2)]
    public async Task An_entry_or_reservation_a_power_loss_left_empty_or_cut_is_reported_or_stale_never_a_crash(int halves)
    {
        var registry = _dir.Registry();
        await registry.RegisterAsync("good", _child.Identity);
        string good = File.ReadAllText(Path.Combine(_dir.StateDir, "good.json"));
        File.WriteAllText(Path.Combine(_dir.StateDir, "cut.json"), good.Replace("\"good\"", "\"cut\"")[..(good.Length * halves / 4)]);
        File.WriteAllText(Path.Combine(_dir.StateDir, "held.reservation"), "{\"pid\": 1"[..(halves * 2)]);

        Assert.Contains("not a valid entry", Assert.Single(registry.List().Problems).Reason);
        var status = await Assert.ThrowsAsync<ChildNotFoundException>(() => registry.FindAsync("cut", Ct));
        Assert.Contains("not a valid entry", status.Message);
        var run = await Assert.ThrowsAsync<ConflictException>(() => registry.ReserveAsync("cut", "sleep", replace: false, Ct));
        Assert.Contains("remove it", run.Message);
        using var reservation = await registry.ReserveAsync("held", "sleep", replace: false, Ct);
        Assert.Equal("held", reservation.Name);
    }

    [Fact(Timeout = 120_000)]
    public async Task An_entry_file_owned_by_another_user_is_reported_and_skipped()
    {
        Assert.SkipUnless(Libc.getuid() == 0, "needs root to chown");
        var registry = _dir.Registry();
        await registry.RegisterAsync("good", _child.Identity);
        string foreign = Path.Combine(_dir.StateDir, "foreign.json");
        File.WriteAllText(foreign, File.ReadAllText(Path.Combine(_dir.StateDir, "good.json")).Replace("\"good\"", "\"foreign\""));
        File.SetUnixFileMode(foreign, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(0, Chown(foreign, 65534));

        var listing = registry.List();

        Assert.Equal("good", Assert.Single(listing.Entries).Name);
        Assert.Contains("owned by uid 65534", Assert.Single(listing.Problems).Reason);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_state_dir_that_is_a_symlink_is_refused()
    {
        Directory.CreateDirectory(_dir.PathOf("real"));
        File.CreateSymbolicLink(_dir.StateDir, _dir.PathOf("real"));

        var error = Assert.Throws<PermissionDeniedException>(() => _dir.Registry().List());
        Assert.Equal(ExitCodes.PermissionDenied, ExitCodes.For(error));
        await Assert.ThrowsAsync<PermissionDeniedException>(() => _dir.Registry().ReserveAsync("web", "sleep", replace: false, Ct));
    }

    [Fact]
    public void A_state_dir_owned_by_another_user_is_refused()
    {
        Assert.SkipUnless(Libc.getuid() == 0, "needs root to chown");
        Directory.CreateDirectory(_dir.StateDir);
        Assert.Equal(0, Chown(_dir.StateDir, 65534));

        var error = Assert.Throws<PermissionDeniedException>(() => _dir.Registry().List());
        Assert.Contains("uid 65534", error.Message);
    }

    [Fact]
    public void A_missing_state_dir_lists_nothing_and_is_not_created_by_reading()
    {
        var listing = _dir.Registry().List();

        Assert.Empty(listing.Entries);
        Assert.False(Directory.Exists(_dir.StateDir));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_command_line_too_long_for_an_entry_is_stored_cut_with_a_marker_and_the_entry_reads_back()
    {
        var registry = _dir.Registry();
        string[] command = ["sleep", .. Enumerable.Repeat(new string('é', 5000), 400)]; // 4 MB of UTF-8, escaped in JSON
        using (var reservation = await registry.ReserveAsync("long", "sleep", replace: false, Ct))
            reservation.Commit(Launches.Of(_child.Identity) with { Command = command });

        RegistryEntry entry = await registry.FindAsync("long", Ct);

        Assert.Equal("sleep", entry.Command[0]);
        Assert.Matches(@"^\[outlive: command line truncated, \d+ more bytes\]$", entry.Command[^1]);
        Assert.True(new FileInfo(Path.Combine(_dir.StateDir, "long.json")).Length < 1 << 20);
        Assert.Equal(ChildState.Running, await registry.GetStateAsync(entry, Ct));
    }

    [Fact]
    public void The_default_state_dir_is_one_place_per_user_whether_or_not_they_are_logged_in_or_linger()
    {
        Func<string, uint, bool> owned = (home, uid) => home == "/home/u1" && uid == 1000;
        Assert.Equal("/run/outlive", RegistryStore.DefaultStateDir(0, "/root", owned));
        Assert.Equal("/home/u1/.local/state/outlive", RegistryStore.DefaultStateDir(1000, "/home/u1", owned));
        // No home of their own (nobody's /nonexistent, a root-owned /var/www): tmux's way.
        Assert.Equal("/tmp/outlive-1001", RegistryStore.DefaultStateDir(1001, "/var/www", owned));
        Assert.Equal("/tmp/outlive-1000", RegistryStore.DefaultStateDir(1000, null, owned));
        Assert.Equal("/tmp/outlive-1000", RegistryStore.DefaultStateDir(1000, "relative", owned));
        Assert.Equal(["/xdg/outlive", "/run/user/1000/outlive", "/tmp/outlive-1000"], RegistryStore.OlderStateDirs(1000, "/xdg"));
    }

    [Fact(Timeout = 60_000)]
    public async Task An_entry_an_earlier_version_left_in_the_runtime_dir_is_listed_found_and_moved_into_the_state_dir()
    {
        string older = _dir.PathOf("run-user-outlive");
        await new RegistryStore(older).RegisterAsync("before-linger", _child.Identity);

        var now = new RegistryStore(_dir.StateDir, [older, _dir.PathOf("absent")]);
        RegistryEntry entry = Assert.Single(now.List().Entries);

        Assert.Equal("before-linger", entry.Name);
        Assert.Equal(ChildState.Running, await now.GetStateAsync(entry, Ct));
        Assert.True(File.Exists(Path.Combine(_dir.StateDir, "before-linger.json")));
        Assert.False(File.Exists(Path.Combine(older, "before-linger.json")));
        Assert.Equal(entry.Pid, (await now.FindAsync("before-linger", Ct)).Pid);
    }

    private static int Chown(string path, uint uid) => NativeChown.chown(path, uid, uid);
}

internal static partial class NativeChown
{
    [System.Runtime.InteropServices.LibraryImport("libc", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    internal static partial int chown(string path, uint uid, uint gid);
}
