using System.Net;
using System.Net.Sockets;
using Outlive.Interop;
using Outlive.Procfs;
using Outlive.Spawn;
using Outlive.Tests.Support;

namespace Outlive.Tests.Spawn;

public class DetachedProcessTests
{
    private static DetachedProcess StartSleep(DetachedStartInfo? template = null)
    {
        var child = DetachedProcess.Start((template ?? new DetachedStartInfo { Program = "sleep" }) with { Program = "sleep", Arguments = ["300"] });
        Children.WaitForExec(child.Pid, "sleep");
        return child;
    }

    [Fact]
    public void The_child_leads_a_new_session_without_a_controlling_terminal()
    {
        var child = StartSleep();
        try
        {
            ProcStat stat = ProcStat.TryRead(child.Pid)!;
            Assert.Equal(child.Pid, stat.SessionId);
            Assert.Equal(child.Pid, stat.ProcessGroupId);
            Assert.Equal(0, stat.TtyNr);
            Assert.Equal("sleep", stat.Command);
        }
        finally
        {
            Children.Kill(child.Identity);
        }
    }

    [Fact]
    public void The_child_starts_with_no_ignored_and_no_blocked_signals_although_dotnet_ignores_SIGPIPE()
    {
        // The precondition that makes this test mean something: the runtime ignores SIGPIPE (bit 13).
        ulong parentIgnored = Convert.ToUInt64(Children.Status(Environment.ProcessId, "SigIgn"), 16);
        Assert.NotEqual(0UL, parentIgnored & (1UL << 12));

        var child = StartSleep();
        try
        {
            Assert.Equal("0000000000000000", Children.Status(child.Pid, "SigIgn"));
            Assert.Equal("0000000000000000", Children.Status(child.Pid, "SigBlk"));
        }
        finally
        {
            Children.Kill(child.Identity);
        }
    }

    [Fact]
    public void Leaked_fds_stay_behind_and_a_passed_fd_arrives_as_fd_3() => AssertOnlyThePassedFdReachesTheChild();

    [Fact]
    public void Without_addclosefrom_np_leaked_fds_still_stay_behind_and_a_passed_fd_arrives_as_fd_3()
    {
        NativeSpawn.ForceOldGlibcFallbacks.Value = true;
        try
        {
            AssertOnlyThePassedFdReachesTheChild();
        }
        finally
        {
            NativeSpawn.ForceOldGlibcFallbacks.Value = false;
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Without_addchdir_np_the_child_starts_in_its_working_directory_with_its_umask_and_ours_stays()
    {
        NativeSpawn.ForceOldGlibcFallbacks.Value = true;
        using var scratch = new Repo.ScratchDir();
        string output = Path.Combine(scratch.Path, "out");
        string ours = Environment.CurrentDirectory;

        var child = DetachedProcess.Start(new DetachedStartInfo
        {
            Program = "sh",
            Arguments = ["-c", "pwd; umask"],
            WorkingDirectory = scratch.Path,
            Umask = 0b000_010_111,
            StandardOutput = OutputTarget.AppendToFile(output),
        });

        Assert.Equal(new ExitStatus(0, null), await child.Exited.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Equal($"{scratch.Path}\n0027\n", await File.ReadAllTextAsync(output, TestContext.Current.CancellationToken));
        Assert.Equal(ours, Environment.CurrentDirectory);
        Assert.Equal(new FileInfo("/proc/self/cwd").LinkTarget, ours);
    }

    /// <summary>
    /// Inheritable fds (a file, a socket, both pipe ends) and a CLOEXEC one in this process: only the passed pipe end
    /// reaches the child, as fd 3, and not again under its own number.
    /// </summary>
    private static unsafe void AssertOnlyThePassedFdReachesTheChild()
    {
        int leakedFile = TestLibc.open("/etc/hostname", TestLibc.O_RDONLY); // no O_CLOEXEC
        Assert.True(leakedFile >= 0);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        Assert.Equal(0, TestLibc.fcntl((int)listener.Handle, TestLibc.F_SETFD, 0)); // made inheritable
        int* pipe = stackalloc int[2];
        Assert.Equal(0, TestLibc.pipe2(pipe, 0));
        using var cloexecFile = File.OpenRead("/etc/hostname");
        try
        {
            var child = StartSleep(new DetachedStartInfo { Program = "sleep", PassedFds = [pipe[0]] });
            try
            {
                Assert.True(Children.WaitUntil(() => Children.IsInSleepCall(child.Pid), TimeSpan.FromSeconds(15)), "sleep never got to sleep");
                Assert.Equal([0, 1, 2, 3], Children.OpenFds(child.Pid));
                Assert.Equal("/dev/null", Children.FdTarget(child.Pid, 0));
                Assert.Equal(Children.FdTarget(Environment.ProcessId, pipe[0]), Children.FdTarget(child.Pid, 3));
            }
            finally
            {
                Children.Kill(child.Identity);
            }
        }
        finally
        {
            TestLibc.close(leakedFile);
            TestLibc.close(pipe[0]);
            TestLibc.close(pipe[1]);
        }
    }

    [Fact]
    public void Environment_is_inherited_changed_and_cleared_as_asked()
    {
        var child = StartSleep(new DetachedStartInfo
        {
            Program = "sleep",
            InheritEnvironment = false,
            SetEnvironment = new Dictionary<string, string> { ["A"] = "1", ["B"] = "x=y", ["NOTIFY_SOCKET"] = "/run/asked-for" },
        });
        try
        {
            Assert.Equal(new Dictionary<string, string> { ["A"] = "1", ["B"] = "x=y", ["NOTIFY_SOCKET"] = "/run/asked-for" }, Children.Environ(child.Pid));
        }
        finally
        {
            Children.Kill(child.Identity);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task A_thousand_short_lived_children_leave_no_zombie_behind()
    {
        var children = Enumerable.Range(0, 1000).Select(_ => DetachedProcess.Start(new DetachedStartInfo { Program = "/bin/true" })).ToList();
        ExitStatus?[] statuses = await Task.WhenAll(children.Select(c => c.Exited)).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.All(statuses, s => Assert.Equal(new ExitStatus(0, null), s));
        var ours = children.Select(c => c.Pid).ToHashSet();
        Assert.DoesNotContain(Children.ZombiesOf(Environment.ProcessId), ours.Contains);
        Assert.Equal(0, ChildReaper.Shared.WatchedCount);
    }

    [Fact(Timeout = 120_000)]
    public async Task The_exit_status_of_a_killed_child_names_the_signal()
    {
        var child = StartSleep();
        Children.Kill(child.Identity);
        Assert.Equal(new ExitStatus(null, 9), await child.Exited.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.False(child.Identity.IsAlive());
    }

    [Fact(Timeout = 120_000)]
    public async Task Without_pidfds_a_thousand_short_lived_children_leave_no_zombie_behind_and_report_their_exit_code()
    {
        PidFds.ForceUnsupported.Value = true;
        var children = Enumerable.Range(0, 1000)
            .Select(i => DetachedProcess.Start(new DetachedStartInfo { Program = "/bin/sh", Arguments = ["-c", $"exit {i % 7}"] }))
            .ToList();
        ExitStatus?[] statuses = await Task.WhenAll(children.Select(c => c.Exited)).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (ExitStatus?)new ExitStatus(i % 7, null)), statuses);
        var ours = children.Select(c => c.Pid).ToHashSet();
        Assert.DoesNotContain(Children.ZombiesOf(Environment.ProcessId), ours.Contains);
    }

    [Fact(Timeout = 120_000)]
    public async Task Without_pidfds_the_exit_status_of_a_killed_child_names_the_signal()
    {
        PidFds.ForceUnsupported.Value = true;
        var child = StartSleep();
        Children.Kill(child.Identity);
        Assert.Equal(new ExitStatus(null, 9), await child.Exited.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.False(child.Identity.IsAlive());
    }

    [Fact(Timeout = 120_000)]
    public async Task Without_pidfds_our_reaping_leaves_the_exit_codes_of_dotnets_own_processes_to_dotnet()
    {
        PidFds.ForceUnsupported.Value = true;
        var detached = DetachedProcess.Start(new DetachedStartInfo { Program = "/bin/sh", Arguments = ["-c", "exit 3"] });
        var processes = Enumerable.Range(0, 20).Select(i => System.Diagnostics.Process.Start("/bin/sh", ["-c", $"exit {i}"])).ToList();

        Assert.Equal(new ExitStatus(3, null), await detached.Exited.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        for (int i = 0; i < processes.Count; i++)
        {
            await processes[i].WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Equal(i, processes[i].ExitCode);
            processes[i].Dispose();
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task Output_goes_to_the_named_file_and_umask_shapes_its_mode()
    {
        using var scratch = new Repo.ScratchDir();
        string log = Path.Combine(scratch.Path, "out.log");
        var child = DetachedProcess.Start(new DetachedStartInfo
        {
            Program = "sh",
            Arguments = ["-c", "echo out; echo err >&2"],
            StandardOutput = OutputTarget.AppendToFile(log),
            StandardError = OutputTarget.AppendToFile(log),
            Umask = 0b000_111_111,
        });
        Assert.Equal(new ExitStatus(0, null), await child.Exited.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Equal("out\nerr\n", File.ReadAllText(log));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(log));
    }

    [Fact]
    public void A_child_started_as_nobody_runs_with_nobodys_ids_and_groups()
    {
        Assert.SkipUnless(Environment.IsPrivilegedProcess, "starting as another user needs root");
        var child = StartSleep(new DetachedStartInfo { Program = "sleep", User = "nobody" });
        try
        {
            Assert.Equal("65534\t65534\t65534\t65534", Children.Status(child.Pid, "Uid"));
            Assert.Equal("65534\t65534\t65534\t65534", Children.Status(child.Pid, "Gid"));
            Assert.Equal("65534", Children.Status(child.Pid, "Groups"));
            Assert.Equal("nobody", Children.Environ(child.Pid)["USER"]);
            // The caller's own credentials were not touched: only the throwaway spawn thread switched.
            Assert.StartsWith("0\t", Children.Status(Environment.ProcessId, "Uid"), StringComparison.Ordinal);
        }
        finally
        {
            Children.Kill(child.Identity);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Argument_and_environment_bytes_reach_the_child_untouched_without_a_gate()
    {
        using var scratch = new Repo.ScratchDir();
        string output = Path.Combine(scratch.Path, "out");
        var child = DetachedProcess.Start(new DetachedStartInfo
        {
            Program = "sh",
            ArgumentBytes = ["-c"u8.ToArray(), "printf '%s|%s' \"$0\" \"$RAW\""u8.ToArray(), [0xFF, 0x41]],
            EnvironmentBytes = [[.. "RAW="u8, 0xFE]],
            StandardOutput = OutputTarget.AppendToFile(output),
        });

        Assert.Equal(new ExitStatus(0, null), await child.Exited.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Equal(new byte[] { 0xFF, 0x41, (byte)'|', 0xFE }, await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken));
    }
}
