using Outlive.Interop;
using Outlive.Registry;

namespace Outlive.Tests.Registry;

public sealed class ChildStopperTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ScratchDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory(Timeout = 120_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_recycled_pid_is_gone_and_is_not_signalled(bool withoutPidfds)
    {
        PidFds.ForceUnsupported.Value = withoutPidfds;
        using var unrelated = TestChild.Sleeping();
        var registry = _dir.Registry();
        // Same PID, other start time: what an entry looks like once its child died and the PID was reused.
        var stale = await registry.RegisterAsync("web", unrelated.Identity with { StartTimeTicks = unrelated.Identity.StartTimeTicks - 1 });

        Assert.Equal(ChildState.Gone, await registry.GetStateAsync(stale, Ct));
        StopOutcome result = await new ChildRegistry(_dir.StateDir).StopAsync("web", Libc.SIGKILL, TimeSpan.FromSeconds(1), true, Ct);

        Assert.Equal(StopOutcome.AlreadyGone, result);
        Thread.Sleep(100);
        Assert.True(unrelated.IsRunning);
        Assert.Empty(registry.List().Entries);
    }

    [Theory(Timeout = 120_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_child_that_exits_on_sigterm_is_stopped_and_its_entry_and_pid_file_are_removed(bool withoutPidfds)
    {
        PidFds.ForceUnsupported.Value = withoutPidfds;
        using var child = TestChild.Sleeping();
        var registry = _dir.Registry();
        string pidFile = _dir.PathOf("web.pid");
        PidFile.Write(pidFile, child.Pid);
        await registry.RegisterAsync("web", child.Identity, pidFile);

        StopOutcome result = await new ChildRegistry(_dir.StateDir).StopAsync("web", Libc.SIGTERM, TimeSpan.FromSeconds(10), false, Ct);

        Assert.Equal(StopOutcome.Stopped, result);
        Assert.True(child.Process.WaitForExit(5000));
        Assert.Empty(registry.List().Entries);
        Assert.False(File.Exists(pidFile));
    }

    [Theory(Timeout = 120_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_child_ignoring_sigterm_is_killed_after_the_timeout_when_kill_after_is_asked(bool withoutPidfds)
    {
        PidFds.ForceUnsupported.Value = withoutPidfds;
        using var child = TestChild.IgnoringTerm();
        var registry = _dir.Registry();
        await registry.RegisterAsync("stubborn", child.Identity);

        var started = DateTime.UtcNow;
        StopOutcome result = await new ChildRegistry(_dir.StateDir).StopAsync("stubborn", Libc.SIGTERM, TimeSpan.FromMilliseconds(500), true, Ct);

        Assert.Equal(StopOutcome.Killed, result);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(450));
        Assert.True(child.Process.WaitForExit(5000));
        Assert.Empty(registry.List().Entries);
    }

    [Theory(Timeout = 120_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_child_ignoring_sigterm_without_kill_after_is_still_running_and_keeps_its_entry(bool withoutPidfds)
    {
        PidFds.ForceUnsupported.Value = withoutPidfds;
        using var child = TestChild.IgnoringTerm();
        var registry = _dir.Registry();
        await registry.RegisterAsync("stubborn", child.Identity);

        StopOutcome result = await new ChildRegistry(_dir.StateDir).StopAsync(child.Pid.ToString(), Libc.SIGTERM, TimeSpan.FromMilliseconds(300), false, Ct);

        Assert.Equal(StopOutcome.StillRunning, result);
        Assert.True(child.IsRunning);
        Assert.Equal(ChildState.Running, await registry.GetStateAsync(Assert.Single(registry.List().Entries), Ct));
    }

    [Theory(Timeout = 120_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stopping_a_child_that_already_exited_removes_its_entry(bool withoutPidfds)
    {
        PidFds.ForceUnsupported.Value = withoutPidfds;
        var registry = _dir.Registry();
        using (var child = TestChild.Sleeping())
        {
            await registry.RegisterAsync("web", child.Identity);
            child.Process.Kill();
            child.Process.WaitForExit();
        }

        StopOutcome result = await new ChildRegistry(_dir.StateDir).StopAsync("web", Libc.SIGTERM, TimeSpan.FromSeconds(1), false, Ct);

        Assert.Equal(StopOutcome.AlreadyGone, result);
        Assert.Empty(registry.List().Entries);
    }

    [Fact(Timeout = 120_000)]
    public async Task Stopping_an_unknown_name_is_not_found()
    {
        var error = await Assert.ThrowsAsync<ChildNotFoundException>(
            () => new ChildRegistry(_dir.StateDir).StopAsync("nobody", Libc.SIGTERM, TimeSpan.FromSeconds(1), killAfter: false, Ct));
        Assert.Equal(ExitCodes.NotFound, ExitCodes.For(error));
    }

    [Theory(Timeout = 120_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Signalling_a_process_of_another_user_is_permission_denied(bool withoutPidfds)
    {
        PidFds.ForceUnsupported.Value = withoutPidfds;
        Assert.SkipUnless(Libc.getuid() == 0, "needs root to start a process as another user");
        // setpriv drops to nobody before exec: the entry is ours, the process is not.
        var info = new System.Diagnostics.ProcessStartInfo("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "sleep", "100"]);
        using var foreign = System.Diagnostics.Process.Start(info)!;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Outlive.Procfs.ProcStat.TryRead(foreign.Id)?.Command != "sleep" && DateTime.UtcNow < deadline)
                Thread.Sleep(10);
            var registry = _dir.Registry();
            var entry = await registry.RegisterAsync("foreign", ProcessIdentity.TryCapture(foreign.Id)!);

            // As uid 1 (daemon), neither root nor the process's user (nobody).
            var stopper = new ChildStopper(registry, new SystemdChildUnits());
            var error = RunAs(1, () => Assert.ThrowsAsync<PermissionDeniedException>(
                () => stopper.StopAsync(entry, Libc.SIGTERM, TimeSpan.FromSeconds(1), killAfter: false, CancellationToken.None)).GetAwaiter().GetResult());
            Assert.Null(error);
            Assert.False(foreign.HasExited);
        }
        finally
        {
            foreign.Kill();
            foreign.WaitForExit();
        }
    }

    /// <summary>Runs <paramref name="check"/> on a thread whose effective uid is <paramref name="uid"/> (Linux credentials are per thread).</summary>
    private static Exception? RunAs(uint uid, Action check)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                if (NativeCredentials.SetThreadEffectiveUid(uid) != 0)
                    throw new InvalidOperationException("setresuid failed");
                check();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        return failure;
    }
}

internal static partial class NativeCredentials
{
    private const long SYS_setresuid_x64 = 117;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "syscall")]
    private static partial long syscall(long number, long ruid, long euid, long suid);

    /// <summary>The raw syscall changes only the calling thread (glibc's setresuid would change every thread).</summary>
    internal static long SetThreadEffectiveUid(uint uid)
    {
        Assert.SkipUnless(System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64, "x64 syscall number");
        return syscall(SYS_setresuid_x64, -1, uid, -1);
    }
}
