using Outlive.Procfs;
using Outlive.Escape;
using Outlive.Spawn;
using Outlive.Tests.Support;

namespace Outlive.Tests.Spawn;

public class HeldProcessTests
{
    [Fact(Timeout = 120_000)]
    public async Task A_held_child_waits_in_the_shim_and_runs_its_program_under_the_same_identity_once_released()
    {
        using var held = HeldProcess.Start(new DetachedStartInfo { Program = "sleep", Arguments = ["300"] });
        Children.WaitForExec(held.Pid, "sh");
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.Equal("sh", ProcStat.TryRead(held.Pid)!.Command);

        SpawnedChild child = held.Release();
        try
        {
            Children.WaitForExec(child.Pid, "sleep");
            Assert.Equal(held.Pid, child.Pid);
            Assert.Equal(held.Identity, child.Identity);
            Assert.True(child.Identity.IsAlive());
            Assert.Equal(child.Pid, ProcStat.TryRead(child.Pid)!.SessionId);
            Assert.Equal("0000000000000000", Children.Status(child.Pid, "SigIgn"));
        }
        finally
        {
            Children.Kill(child.Identity);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task A_held_child_that_is_never_released_exits_without_running_its_program()
    {
        using var scratch = new Repo.ScratchDir();
        string marker = Path.Combine(scratch.Path, "ran");
        var held = HeldProcess.Start(new DetachedStartInfo { Program = "touch", Arguments = [marker] });
        held.Dispose();

        Assert.Equal(new ExitStatus(HeldProcess.AbortedExitCode, null), await held.Exited.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public unsafe void The_released_program_sees_exactly_the_asked_environment_and_fds_and_not_the_gate()
    {
        int* pipe = stackalloc int[2];
        Assert.Equal(0, TestLibc.pipe2(pipe, 0x80000));
        try
        {
            using var held = HeldProcess.Start(new DetachedStartInfo
            {
                Program = "sleep",
                Arguments = ["300"],
                InheritEnvironment = false,
                SetEnvironment = new Dictionary<string, string> { ["A"] = "1" },
                PassedFds = [pipe[0]],
            });
            var child = held.Release();
            try
            {
                Children.WaitForExec(child.Pid, "sleep");
                Assert.Equal(new Dictionary<string, string> { ["A"] = "1" }, Children.Environ(child.Pid));
                Children.WaitUntil(() => Children.OpenFds(child.Pid).SequenceEqual([0, 1, 2, 3]), TimeSpan.FromSeconds(5));
                Assert.Equal([0, 1, 2, 3], Children.OpenFds(child.Pid));
                Assert.Equal(Children.FdTarget(Environment.ProcessId, pipe[0]), Children.FdTarget(child.Pid, 3));
            }
            finally
            {
                Children.Kill(child.Identity);
            }
        }
        finally
        {
            TestLibc.close(pipe[0]);
            TestLibc.close(pipe[1]);
        }
    }

    [Fact]
    public void A_held_start_checks_its_input_before_any_process_exists()
    {
        Assert.Throws<ProgramNotFoundException>(() => HeldProcess.Start(new DetachedStartInfo { Program = "no-such-program-42" }));
    }
}
