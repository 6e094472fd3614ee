using System.Text.Json;
using Outlive.Procfs;
using Outlive.Tests.Support;

namespace Outlive.Tests.Cli;

/// <summary>
/// The built <c>outlive</c> as on a kernel before pidfds (RHEL 8's 4.18): a seccomp filter makes pidfd_open,
/// pidfd_send_signal and close_range fail with ENOSYS, as systemd's SystemCallFilter= would in the bed.
/// </summary>
public class NoPidfdKernelTests
{
    // 424, 434, 436: pidfd_send_signal, pidfd_open, close_range, alike on x86_64 and aarch64. The filter is inherited
    // across exec, so outlive and its children all run under it.
    private const string EnosysHelper = """
        #define _GNU_SOURCE
        #include <errno.h>
        #include <stddef.h>
        #include <stdio.h>
        #include <unistd.h>
        #include <sys/prctl.h>
        #include <sys/syscall.h>
        #include <linux/filter.h>
        #include <linux/seccomp.h>

        #define DENY(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS)

        int main(int argc, char **argv) {
            struct sock_filter filter[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                DENY(424), DENY(434), DENY(436),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            };
            struct sock_fprog prog = { sizeof filter / sizeof filter[0], filter };
            if (argc < 2 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
                perror("seccomp");
                return 98;
            }
            if (syscall(434, getpid(), 0) != -1 || errno != ENOSYS) {
                fputs("pidfd_open still works\n", stderr);
                return 99;
            }
            execvp(argv[1], argv + 1);
            perror("execvp");
            return 127;
        }
        """;

    [Fact]
    public void Without_pidfd_syscalls_run_status_and_stop_work_and_a_child_ignoring_sigterm_is_killed()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/cc"), "needs a C compiler for the seccomp helper");
        using var registry = new CliRegistry();
        string source = registry.PathOf("enosys.c");
        string helper = registry.PathOf("enosys");
        File.WriteAllText(source, EnosysHelper);
        var built = Repo.Run("/usr/bin/cc", ["-O", "-o", helper, source]);
        Assert.True(built.ExitCode == 0, built.Stderr);

        Repo.Result Outlive(string command, params string[] args) => Repo.Run(helper, [Repo.Cli, command, "--state-dir", registry.StateDir, .. args]);
        ProcessIdentity Run(string name, params string[] program)
        {
            var result = Outlive("run", ["--name", name, "--json", "--escape", "setsid", "--", .. program]);
            Assert.True(result.ExitCode == 0, result.Stderr);
            using var json = JsonDocument.Parse(result.Stdout);
            var root = json.RootElement;
            return new ProcessIdentity(root.GetProperty("pid").GetInt32(), root.GetProperty("startTime").GetUInt64(), root.GetProperty("bootId").GetString()!);
        }

        var obeying = Run("obeying", "sleep", "1000");
        var stubborn = Run("stubborn", "sh", "-c", "trap '' TERM; exec sleep 1000");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (ProcStat.TryRead(stubborn.Pid)?.Command != "sleep")
        {
            Assert.True(DateTime.UtcNow < deadline, "the TERM-ignoring child never reached exec sleep");
            Thread.Sleep(10);
        }

        Assert.Equal(0, Outlive("status", "obeying").ExitCode);
        var stopped = Outlive("stop", "obeying");
        Assert.True(stopped.ExitCode == 0, stopped.Stdout + stopped.Stderr);
        Assert.False(obeying.IsAlive());

        var killed = Outlive("stop", "stubborn", "--timeout", "300ms", "--kill-after");
        Assert.True(killed.ExitCode == 0, killed.Stdout + killed.Stderr);
        Assert.False(stubborn.IsAlive());
        Assert.Empty(registry.Ps());
    }
}
