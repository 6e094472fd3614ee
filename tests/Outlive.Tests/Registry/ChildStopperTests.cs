using Outlive.Interop;
using Outlive.Registry;

namespace Outlive.Tests.Registry;

public sealed class ChildStopperTests : IDisposable
{
    private readonly ScratchDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_recycled_pid_is_gone_and_is_not_signalled()
    {
        using var unrelated = TestChild.Sleeping();
        var registry = _dir.Registry();
        // Same PID, other start time: what an entry looks like once its child died and the PID was reused.
        var stale = registry.Register("web", unrelated.Identity with { StartTimeTicks = unrelated.Identity.StartTimeTicks - 1 });

        Assert.Equal(ChildState.Gone, registry.GetState(stale));
        var result = new ChildStopper(registry).Stop("web", Libc.SIGKILL, TimeSpan.FromSeconds(1), killAfter: true);

        Assert.Equal(StopOutcome.AlreadyGone, result.Outcome);
        Thread.Sleep(100);
        Assert.True(unrelated.IsRunning);
        Assert.Empty(registry.List().Entries);
    }

    [Fact]
    public void A_child_that_exits_on_sigterm_is_stopped_and_its_entry_and_pid_file_are_removed()
    {
        using var child = TestChild.Sleeping();
        var registry = _dir.Registry();
        string pidFile = _dir.PathOf("web.pid");
        PidFile.Write(pidFile, child.Pid);
        registry.Register("web", child.Identity, pidFile);

        var result = new ChildStopper(registry).Stop("web", Libc.SIGTERM, TimeSpan.FromSeconds(10), killAfter: false);

        Assert.Equal(StopOutcome.Stopped, result.Outcome);
        Assert.True(child.Process.WaitForExit(5000));
        Assert.Empty(registry.List().Entries);
        Assert.False(File.Exists(pidFile));
    }

    [Fact]
    public void A_child_ignoring_sigterm_is_killed_after_the_timeout_when_kill_after_is_asked()
    {
        using var child = TestChild.IgnoringTerm();
        var registry = _dir.Registry();
        registry.Register("stubborn", child.Identity);

        var started = DateTime.UtcNow;
        var result = new ChildStopper(registry).Stop("stubborn", Libc.SIGTERM, TimeSpan.FromMilliseconds(500), killAfter: true);

        Assert.Equal(StopOutcome.Killed, result.Outcome);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(450));
        Assert.True(child.Process.WaitForExit(5000));
        Assert.Empty(registry.List().Entries);
    }

    [Fact]
    public void A_child_ignoring_sigterm_without_kill_after_is_still_running_and_keeps_its_entry()
    {
        using var child = TestChild.IgnoringTerm();
        var registry = _dir.Registry();
        registry.Register("stubborn", child.Identity);

        var result = new ChildStopper(registry).Stop(child.Pid.ToString(), Libc.SIGTERM, TimeSpan.FromMilliseconds(300), killAfter: false);

        Assert.Equal(StopOutcome.StillRunning, result.Outcome);
        Assert.True(child.IsRunning);
        Assert.Equal(ChildState.Running, registry.GetState(Assert.Single(registry.List().Entries)));
    }

    [Fact]
    public void Stopping_a_child_that_already_exited_removes_its_entry()
    {
        var registry = _dir.Registry();
        using (var child = TestChild.Sleeping())
        {
            registry.Register("web", child.Identity);
            child.Process.Kill();
            child.Process.WaitForExit();
        }

        var result = new ChildStopper(registry).Stop("web", Libc.SIGTERM, TimeSpan.FromSeconds(1), killAfter: false);

        Assert.Equal(StopOutcome.AlreadyGone, result.Outcome);
        Assert.Empty(registry.List().Entries);
    }

    [Fact]
    public void Stopping_an_unknown_name_is_not_found()
    {
        var error = Assert.Throws<ChildNotFoundException>(
            () => new ChildStopper(_dir.Registry()).Stop("nobody", Libc.SIGTERM, TimeSpan.FromSeconds(1), killAfter: false));
        Assert.Equal(ExitCodes.NotFound, error.ExitCode);
    }

    [Fact]
    public void Signalling_a_process_of_another_user_is_permission_denied()
    {
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
            var entry = registry.Register("foreign", ProcessIdentity.TryCapture(foreign.Id)!);

            // As uid 1 (daemon), neither root nor the process's user (nobody).
            var error = RunAs(1, () => Assert.Throws<RegistryPermissionException>(
                () => new ChildStopper(registry).Stop(entry, Libc.SIGTERM, TimeSpan.FromSeconds(1), killAfter: false)));
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
