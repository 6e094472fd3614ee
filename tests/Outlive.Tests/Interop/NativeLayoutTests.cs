using System.ComponentModel;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Outlive.Interop;
using Outlive.Tests.Support;

namespace Outlive.Tests.Interop;

// Outlive.Tests.Architecture (the source-rule tests) would hide the enum from here.
using Architecture = System.Runtime.InteropServices.Architecture;

/// <summary>
/// The managed structs, buffer sizes and constants in Outlive.Interop against the C headers, for x86_64 and aarch64:
/// a C program prints sizeof, offsetof and the value of each, and every value must equal the managed one that Outlive
/// uses on that architecture. On an x86_64 machine the aarch64 program is cross-compiled and run under qemu-user.
/// </summary>
public class NativeLayoutTests
{
    // Prints "sizeof.<type> <n>", "<type>.<field> <offset>" and "value.<name> <n>"; offsetof with glibc's si_* macros
    // (which expand to members of nested unions) works in gcc and clang.
    private const string Program = """
        #define _GNU_SOURCE
        #include <fcntl.h>
        #include <grp.h>
        #include <poll.h>
        #include <pwd.h>
        #include <signal.h>
        #include <spawn.h>
        #include <stddef.h>
        #include <stdio.h>
        #include <sys/epoll.h>
        #include <sys/mman.h>
        #include <sys/stat.h>
        #include <sys/syscall.h>
        #include <sys/wait.h>
        #include <time.h>
        #include <unistd.h>

        #define SIZE(type, name) printf("sizeof.%s %zu\n", name, sizeof(type))
        #define OFFSET(type, name, field) printf("%s.%s %zu\n", name, #field, offsetof(type, field))
        #define VALUE(name) printf("value.%s %lld\n", #name, (long long)(name))

        int main(void)
        {
            VALUE(O_RDONLY); VALUE(O_WRONLY); VALUE(O_RDWR); VALUE(O_CREAT); VALUE(O_EXCL); VALUE(O_APPEND);
            VALUE(O_NONBLOCK); VALUE(O_NOCTTY); VALUE(O_CLOEXEC); VALUE(O_NOFOLLOW);
            VALUE(AT_FDCWD); VALUE(AT_SYMLINK_NOFOLLOW); VALUE(AT_EMPTY_PATH);
            VALUE(F_DUPFD_CLOEXEC); VALUE(F_ADD_SEALS); VALUE(MFD_CLOEXEC); VALUE(MFD_ALLOW_SEALING); VALUE(EPOLL_CLOEXEC);
            VALUE(CLOCK_BOOTTIME); VALUE(_SC_CLK_TCK);
            VALUE(P_PID); VALUE(P_PIDFD); VALUE(WNOHANG); VALUE(WEXITED); VALUE(CLD_EXITED);
            VALUE(SYS_setgroups); VALUE(SYS_setresgid); VALUE(SYS_setresuid); VALUE(SYS_pidfd_open); VALUE(SYS_pidfd_send_signal); VALUE(SYS_getdents64);

            SIZE(posix_spawnattr_t, "posix_spawnattr_t");
            SIZE(posix_spawn_file_actions_t, "posix_spawn_file_actions_t");
            SIZE(sigset_t, "sigset_t");

            SIZE(struct epoll_event, "epoll_event");
            OFFSET(struct epoll_event, "epoll_event", events);
            OFFSET(struct epoll_event, "epoll_event", data);

            SIZE(struct statx, "statx");
            OFFSET(struct statx, "statx", stx_uid);
            OFFSET(struct statx, "statx", stx_gid);
            OFFSET(struct statx, "statx", stx_mode);
            OFFSET(struct statx, "statx", stx_ino);
            OFFSET(struct statx, "statx", stx_size);
            OFFSET(struct statx, "statx", stx_dev_major);
            OFFSET(struct statx, "statx", stx_dev_minor);

            SIZE(struct timespec, "timespec");
            OFFSET(struct timespec, "timespec", tv_sec);
            OFFSET(struct timespec, "timespec", tv_nsec);

            SIZE(siginfo_t, "siginfo_t");
            OFFSET(siginfo_t, "siginfo_t", si_signo);
            OFFSET(siginfo_t, "siginfo_t", si_code);
            OFFSET(siginfo_t, "siginfo_t", si_pid);
            OFFSET(siginfo_t, "siginfo_t", si_status);

            SIZE(struct pollfd, "pollfd");
            OFFSET(struct pollfd, "pollfd", fd);
            OFFSET(struct pollfd, "pollfd", events);
            OFFSET(struct pollfd, "pollfd", revents);

            SIZE(struct passwd, "passwd");
            OFFSET(struct passwd, "passwd", pw_name);
            OFFSET(struct passwd, "passwd", pw_passwd);
            OFFSET(struct passwd, "passwd", pw_uid);
            OFFSET(struct passwd, "passwd", pw_gid);
            OFFSET(struct passwd, "passwd", pw_gecos);
            OFFSET(struct passwd, "passwd", pw_dir);
            OFFSET(struct passwd, "passwd", pw_shell);

            SIZE(struct group, "group");
            OFFSET(struct group, "group", gr_name);
            OFFSET(struct group, "group", gr_passwd);
            OFFSET(struct group, "group", gr_gid);
            OFFSET(struct group, "group", gr_mem);
            return 0;
        }
        """;

    /// <summary>
    /// What Outlive uses on <paramref name="architecture"/>. The struct sizes and offsets are measured in this (x86_64)
    /// process: x86_64 and aarch64 are both LP64 with natural alignment, so .NET lays out these structs alike on both;
    /// what differs is which struct or value Outlive picks per architecture, and that is asked for the one tested.
    /// </summary>
    private static IEnumerable<(string Name, long Managed)> ManagedLayout(Architecture architecture)
    {
        var credentialSyscalls = Libc.CredentialSyscallsOn(architecture);
        (string, long)[] values =
        [
            ("O_RDONLY", Libc.O_RDONLY), ("O_WRONLY", Libc.O_WRONLY), ("O_RDWR", Libc.O_RDWR), ("O_CREAT", Libc.O_CREAT),
            ("O_EXCL", Libc.O_EXCL), ("O_APPEND", Libc.O_APPEND), ("O_NONBLOCK", Libc.O_NONBLOCK), ("O_NOCTTY", Libc.O_NOCTTY),
            ("O_CLOEXEC", Libc.O_CLOEXEC), ("O_NOFOLLOW", Libc.ONoFollowOn(architecture)),
            ("AT_FDCWD", Libc.AT_FDCWD), ("AT_SYMLINK_NOFOLLOW", Libc.AT_SYMLINK_NOFOLLOW), ("AT_EMPTY_PATH", Libc.AT_EMPTY_PATH),
            ("F_DUPFD_CLOEXEC", Libc.F_DUPFD_CLOEXEC), ("F_ADD_SEALS", Libc.F_ADD_SEALS), ("MFD_CLOEXEC", Libc.MFD_CLOEXEC),
            ("MFD_ALLOW_SEALING", Libc.MFD_ALLOW_SEALING), ("EPOLL_CLOEXEC", Libc.EPOLL_CLOEXEC),
            ("CLOCK_BOOTTIME", Libc.CLOCK_BOOTTIME), ("_SC_CLK_TCK", Libc._SC_CLK_TCK),
            ("P_PID", Libc.P_PID), ("P_PIDFD", Libc.P_PIDFD), ("WNOHANG", Libc.WNOHANG), ("WEXITED", Libc.WEXITED), ("CLD_EXITED", Libc.CLD_EXITED),
            ("SYS_setgroups", credentialSyscalls.Setgroups), ("SYS_setresgid", credentialSyscalls.Setresgid),
            ("SYS_setresuid", credentialSyscalls.Setresuid), ("SYS_pidfd_open", Libc.SysPidfdOpen), ("SYS_pidfd_send_signal", Libc.SysPidfdSendSignal), ("SYS_getdents64", Libc.GetDents64SyscallOn(architecture)),
        ];
        foreach (var (name, value) in values)
            yield return ($"value.{name}", value);

        // Opaque glibc types Outlive only allocates: its buffers must be exactly as large.
        yield return ("sizeof.posix_spawnattr_t", Libc.PosixSpawnAttrSize);
        yield return ("sizeof.posix_spawn_file_actions_t", Libc.PosixSpawnFileActionsSize);
        yield return ("sizeof.sigset_t", Libc.SigSetSize);

        var epollEvent = Libc.EpollEventIsPackedOn(architecture)
            ? Struct<Libc.PackedEpollEvent>("epoll_event", ("events", "Events"), ("data", "Data"))
            : Struct<Libc.AlignedEpollEvent>("epoll_event", ("events", "Events"), ("data", "Data"));
        foreach (var entry in epollEvent)
            yield return entry;

        foreach (var entry in Struct<Libc.Statx>("statx",
            ("stx_uid", nameof(Libc.Statx.Uid)), ("stx_gid", nameof(Libc.Statx.Gid)), ("stx_mode", nameof(Libc.Statx.Mode)),
            ("stx_ino", nameof(Libc.Statx.Inode)), ("stx_size", nameof(Libc.Statx.Size)),
            ("stx_dev_major", nameof(Libc.Statx.DevMajor)), ("stx_dev_minor", nameof(Libc.Statx.DevMinor))))
            yield return entry;

        foreach (var entry in Struct<Libc.TimeSpec>("timespec",
            ("tv_sec", nameof(Libc.TimeSpec.Seconds)), ("tv_nsec", nameof(Libc.TimeSpec.Nanoseconds))))
            yield return entry;

        foreach (var entry in Struct<Libc.SigInfo>("siginfo_t",
            ("si_signo", nameof(Libc.SigInfo.Signo)), ("si_code", nameof(Libc.SigInfo.Code)),
            ("si_pid", nameof(Libc.SigInfo.Pid)), ("si_status", nameof(Libc.SigInfo.Status))))
            yield return entry;

        foreach (var entry in Struct<Libc.PollFd>("pollfd",
            ("fd", nameof(Libc.PollFd.Fd)), ("events", nameof(Libc.PollFd.Events)), ("revents", nameof(Libc.PollFd.Revents))))
            yield return entry;

        foreach (var entry in Struct<Libc.Passwd>("passwd",
            ("pw_name", nameof(Libc.Passwd.Name)), ("pw_passwd", nameof(Libc.Passwd.Password)),
            ("pw_uid", nameof(Libc.Passwd.Uid)), ("pw_gid", nameof(Libc.Passwd.Gid)), ("pw_gecos", nameof(Libc.Passwd.Gecos)),
            ("pw_dir", nameof(Libc.Passwd.Dir)), ("pw_shell", nameof(Libc.Passwd.Shell))))
            yield return entry;

        foreach (var entry in Struct<Libc.Group>("group",
            ("gr_name", nameof(Libc.Group.Name)), ("gr_passwd", nameof(Libc.Group.Password)),
            ("gr_gid", nameof(Libc.Group.Gid)), ("gr_mem", nameof(Libc.Group.Members))))
            yield return entry;
    }

    /// <summary>The size of <typeparamref name="T"/> and the offset of each field, under the names the C program prints.</summary>
    private static IEnumerable<(string Name, long Managed)> Struct<T>(string cName, params (string C, string Managed)[] fields)
        where T : unmanaged
    {
        yield return ($"sizeof.{cName}", Unsafe.SizeOf<T>());
        foreach (var (cField, managedField) in fields)
            yield return ($"{cName}.{cField}", Marshal.OffsetOf<T>(managedField).ToInt64());
    }

    [Theory]
    [InlineData(Architecture.X64)]
    [InlineData(Architecture.Arm64)]
    public void Every_struct_and_constant_Outlive_uses_matches_the_C_headers_of_the_architecture(Architecture architecture)
    {
        Dictionary<string, long> c = PrintedByC(architecture);

        var wrong = new List<string>();
        foreach (var (name, managed) in ManagedLayout(architecture))
        {
            if (!c.TryGetValue(name, out long native))
                wrong.Add($"{name}: the C program printed no value");
            else if (native != managed)
                wrong.Add($"{name}: C {native}, managed {managed}");
        }
        Assert.True(wrong.Count == 0, $"{architecture} layouts differ from C:\n{string.Join('\n', wrong)}");
    }

    /// <summary>
    /// Compiles and runs <see cref="Program"/> for <paramref name="architecture"/>: with cc for this machine's, with
    /// aarch64-linux-gnu-gcc and qemu-user for arm64 on x86_64. A missing compiler is a failure, since
    /// scripts/install-deps installs them all.
    /// </summary>
    private static Dictionary<string, long> PrintedByC(Architecture architecture)
    {
        bool native = architecture == RuntimeInformation.ProcessArchitecture;
        Assert.SkipUnless(native || (architecture, RuntimeInformation.ProcessArchitecture) == (Architecture.Arm64, Architecture.X64),
            $"the {architecture} headers are checked on an x86_64 machine only");
        string compiler = native ? "cc" : "aarch64-linux-gnu-gcc";

        using var scratch = new Repo.ScratchDir();
        string source = Path.Combine(scratch.Path, "layout.c");
        string binary = Path.Combine(scratch.Path, "layout");
        File.WriteAllText(source, Program);

        Repo.Result compiled;
        try
        {
            compiled = Repo.Run(compiler, ["-o", binary, source]);
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run {compiler} ({e.Message}); scripts/install-deps installs it and glibc's headers", e);
        }
        Assert.True(compiled.ExitCode == 0, $"{compiler} failed:\n{compiled.Stderr}");

        Repo.Result run = native ? Repo.Run(binary, []) : Repo.RunArm64(binary, []);
        Assert.True(run.ExitCode == 0, $"the layout program failed:\n{run.Stderr}");
        return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .ToDictionary(parts => parts[0], parts => long.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
