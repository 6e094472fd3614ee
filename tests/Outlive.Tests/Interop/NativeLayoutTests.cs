using System.ComponentModel;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Outlive.Interop;
using Outlive.Tests.Support;

namespace Outlive.Tests.Interop;

/// <summary>
/// The managed structs and buffer sizes in Outlive.Interop against the C headers of this machine:
/// a C program prints sizeof and offsetof of each, and every value must equal the managed one.
/// </summary>
public class NativeLayoutTests
{
    // Prints "sizeof.<type> <n>" and "<type>.<field> <offset>"; offsetof with glibc's si_* macros
    // (which expand to members of nested unions) works in gcc and clang.
    private const string Program = """
        #define _GNU_SOURCE
        #include <grp.h>
        #include <poll.h>
        #include <pwd.h>
        #include <signal.h>
        #include <spawn.h>
        #include <stddef.h>
        #include <stdio.h>
        #include <sys/epoll.h>
        #include <sys/stat.h>

        #define SIZE(type, name) printf("sizeof.%s %zu\n", name, sizeof(type))
        #define OFFSET(type, name, field) printf("%s.%s %zu\n", name, #field, offsetof(type, field))

        int main(void)
        {
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

    private static IEnumerable<(string Name, long Managed)> ManagedLayout()
    {
        // Opaque glibc types Outlive only allocates: its buffers must be exactly as large.
        yield return ("sizeof.posix_spawnattr_t", Libc.PosixSpawnAttrSize);
        yield return ("sizeof.posix_spawn_file_actions_t", Libc.PosixSpawnFileActionsSize);
        yield return ("sizeof.sigset_t", Libc.SigSetSize);

        var epollEvent = Libc.EpollEventIsPacked
            ? Struct<Libc.PackedEpollEvent>("epoll_event", ("events", "Events"), ("data", "Data"))
            : Struct<Libc.AlignedEpollEvent>("epoll_event", ("events", "Events"), ("data", "Data"));
        foreach (var entry in epollEvent)
            yield return entry;

        foreach (var entry in Struct<Libc.Statx>("statx",
            ("stx_uid", nameof(Libc.Statx.Uid)), ("stx_gid", nameof(Libc.Statx.Gid)), ("stx_mode", nameof(Libc.Statx.Mode)),
            ("stx_ino", nameof(Libc.Statx.Inode)), ("stx_size", nameof(Libc.Statx.Size)),
            ("stx_dev_major", nameof(Libc.Statx.DevMajor)), ("stx_dev_minor", nameof(Libc.Statx.DevMinor))))
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

    [Fact]
    public void Every_struct_Outlive_lays_out_matches_the_C_headers()
    {
        Dictionary<string, long> c = PrintedByC();

        var wrong = new List<string>();
        foreach (var (name, managed) in ManagedLayout())
        {
            if (!c.TryGetValue(name, out long native))
                wrong.Add($"{name}: the C program printed no value");
            else if (native != managed)
                wrong.Add($"{name}: C {native}, managed {managed}");
        }
        Assert.True(wrong.Count == 0, $"{RuntimeInformation.ProcessArchitecture} layouts differ from C:\n{string.Join('\n', wrong)}");
    }

    /// <summary>Compiles and runs <see cref="Program"/>; cc missing is a failure, since scripts/install-deps installs it.</summary>
    private static Dictionary<string, long> PrintedByC()
    {
        using var scratch = new Repo.ScratchDir();
        string source = Path.Combine(scratch.Path, "layout.c");
        string binary = Path.Combine(scratch.Path, "layout");
        File.WriteAllText(source, Program);

        Repo.Result compiled;
        try
        {
            compiled = Repo.Run("cc", ["-o", binary, source]);
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run cc ({e.Message}); scripts/install-deps installs gcc and libc6-dev", e);
        }
        Assert.True(compiled.ExitCode == 0, $"cc failed:\n{compiled.Stderr}");

        Repo.Result run = Repo.Run(binary, []);
        Assert.True(run.ExitCode == 0, $"the layout program failed:\n{run.Stderr}");
        return run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .ToDictionary(parts => parts[0], parts => long.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
