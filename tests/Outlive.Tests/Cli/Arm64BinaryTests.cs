using System.Globalization;
using System.Text.Json;
using Outlive.Procfs;
using Outlive.Systemd;
using Outlive.Tests.Support;

namespace Outlive.Tests.Cli;

/// <summary>
/// The linux-arm64 NativeAOT binary as shipped, run under qemu-user on this x86_64 machine: its spawn (posix_spawn
/// attributes, setsid), the held start's aarch64 gate program, the reaper's epoll, statx, O_NOFOLLOW, getrandom,
/// pidfd_open and pidfd_send_signal all go through arm64's ABI, which qemu translates syscall by syscall. The programs
/// the gate execs are x86_64 ones, run by the kernel as usual.
/// </summary>
public sealed class Arm64BinaryTests
{
    // outlive run starts each child held by the gate program, which for this binary is an aarch64 executable that the
    // kernel must run itself: binfmt_misc has to hand it to qemu. The machine's handlers come and go (a booted systemd's
    // systemd-binfmt registers Debian's at start and removes every handler when it stops: a systemd bed on this kernel
    // does both), so each command gets its own: since Linux 6.7 a user namespace can mount binfmt_misc and register
    // handlers that no one else sees.
    private const string WithArm64Handler = """
        mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc &&
        cat /usr/lib/binfmt.d/qemu-aarch64.conf > /proc/sys/fs/binfmt_misc/register &&
        exec "$@"
        """;

    /// <summary>Runs <paramref name="program"/> in a user namespace (root mapped to root) with its own qemu-aarch64 handler.</summary>
    private static Repo.Result RunWithArm64Handler(string program, IEnumerable<string> args) =>
        Repo.Run("unshare", ["--user", "--map-root-user", "--mount", "sh", "-c", WithArm64Handler, "sh", program, .. args]);

    /// <summary>A registry the arm64 binary drives, each command with its own binfmt handler; skips where none can be had, fails under CI.</summary>
    private static CliRegistry Arm64Registry()
    {
        string cli = Repo.PublishedArm64();
        // arm64's dynamic loader is an aarch64 executable of its own: the kernel runs it only through the handler.
        var probe = RunWithArm64Handler("/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1", ["--version"]);
        if (probe.ExitCode != 0)
        {
            string reason = $"cannot register a qemu-aarch64 handler in a user namespace (Linux 6.7+): {probe.Stderr.Trim()}";
            Assert.False(Repo.IsCi, reason);
            Assert.Skip(reason);
        }
        return new CliRegistry(args => RunWithArm64Handler("qemu-aarch64-static", ["-L", "/usr/aarch64-linux-gnu", cli, .. args]));
    }

    [Fact]
    public void The_arm64_binary_is_an_aarch64_program_and_prints_the_version_of_this_build()
    {
        string cli = Repo.PublishedArm64();

        var version = Repo.RunArm64(cli, ["--version"]);

        Assert.True(version.ExitCode == 0, version.Stderr);
        Assert.Equal(Repo.Run(Repo.Cli, ["--version"]).Stdout, version.Stdout);
        // ELF e_machine at offset 18: EM_AARCH64 (183), so qemu did the work, not a mislabelled x86_64 build.
        byte[] header = File.ReadAllBytes(cli)[..20];
        Assert.Equal(183, BitConverter.ToUInt16(header, 18));
    }

    [Fact]
    public void The_arm64_binary_runs_a_child_in_its_own_session_lists_it_and_stops_it()
    {
        using var registry = Arm64Registry();

        var child = registry.Run("sleeper");

        var stat = ProcStat.TryRead(child.Pid);
        Assert.NotNull(stat);
        Assert.Equal("sleep", stat.Command);
        Assert.Equal(child.Pid, stat.SessionId);
        Assert.Equal($"sleeper: running (pid {child.Pid}, setsid)\n", registry.Outlive("status", "sleeper").Stdout);
        var listed = Assert.Single(registry.Ps());
        Assert.Equal(child.Pid, listed.GetProperty("pid").GetInt32());
        Assert.Equal("running", listed.GetProperty("state").GetString());

        var stop = registry.Outlive("stop", "sleeper");

        Assert.True(stop.ExitCode == 0, stop.Stderr);
        Assert.False(child.IsAlive());
        Assert.Equal(4, registry.Outlive("status", "sleeper").ExitCode);
    }

    [Fact]
    public void The_arm64_binary_records_a_child_that_exits_at_once_as_gone()
    {
        using var registry = Arm64Registry();

        var run = registry.Outlive("run", "--escape", "setsid", "--json", "--name", "brief", "--", "/bin/true");

        Assert.True(run.ExitCode == 0, run.Stderr);
        using var started = JsonDocument.Parse(run.Stdout);
        Assert.Equal("setsid", started.RootElement.GetProperty("strategy").GetString());
        int pid = started.RootElement.GetProperty("pid").GetInt32();
        Assert.True(Children.WaitUntil(() => ProcStat.TryRead(pid) is null or { IsZombie: true }, TimeSpan.FromSeconds(5)));
        Assert.Equal("gone", Assert.Single(registry.Ps()).GetProperty("state").GetString());
        Assert.Equal(3, registry.Outlive("status", "brief").ExitCode);
    }

    [Fact]
    public void Outside_systemd_the_arm64_doctor_says_setsid_is_enough()
    {
        Assert.SkipWhen(SystemdInit.IsBooted(), "this machine runs systemd; SystemdBed covers doctor there");
        string cli = Repo.PublishedArm64();

        var result = Repo.RunArm64(cli, ["doctor", "--json", "--pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture)]);

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.False(json.RootElement.GetProperty("systemdBooted").GetBoolean());
        Assert.Equal("setsid", json.RootElement.GetProperty("recommended").GetProperty("strategy").GetString());
    }
}
