using Outlive.Procfs;
using Outlive.Escape;
using Outlive.Spawn;
using Outlive.Tests.Support;

namespace Outlive.Tests.Escape;

public class HeldProcessTests
{
    [Fact(Timeout = 120_000)]
    public async Task A_held_child_waits_in_the_gate_and_runs_its_program_under_the_same_identity_once_released()
    {
        using var held = HeldProcess.Start(new DetachedStartInfo { Program = "sleep", Arguments = ["300"] });
        Assert.True(Children.WaitUntil(() => Children.Executable(held.Pid).StartsWith("/memfd:outlive-gate", StringComparison.Ordinal), TimeSpan.FromSeconds(5)));
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.StartsWith("/memfd:outlive-gate", Children.Executable(held.Pid), StringComparison.Ordinal);

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
    public void The_released_program_gets_argv0_and_every_environment_entry_byte_for_byte_even_ones_a_shell_would_drop()
    {
        var environment = new Dictionary<string, string>
        {
            ["BASH_FUNC_f%%"] = "() {  echo hi\n}",
            ["1NUM"] = "starts with a digit",
            ["EMPTY"] = "",
            ["EQUALS"] = "a=b=c",
        };
        using var held = HeldProcess.Start(new DetachedStartInfo
        {
            Program = "sleep",
            Arguments = ["300"],
            InheritEnvironment = false,
            SetEnvironment = environment,
        });
        var child = held.Release();
        try
        {
            Children.WaitForExec(child.Pid, "sleep");
            // argv[0] is what was asked ("sleep"), not the resolved path.
            Assert.Equal("sleep\0300\0", File.ReadAllText($"/proc/{child.Pid}/cmdline"));
            Assert.Equal(environment.Select(e => $"{e.Key}={e.Value}").Order(StringComparer.Ordinal),
                File.ReadAllText($"/proc/{child.Pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
            Assert.Equal("/usr/bin/sleep", Children.Executable(child.Pid));
        }
        finally
        {
            Children.Kill(child.Identity);
        }
    }

    [Fact]
    public void A_held_start_checks_its_input_before_any_process_exists()
    {
        Assert.Throws<ProgramNotFoundException>(() => HeldProcess.Start(new DetachedStartInfo { Program = "no-such-program-42" }));
    }
}
