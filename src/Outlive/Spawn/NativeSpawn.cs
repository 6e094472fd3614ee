using System.Runtime.InteropServices;
using System.Text;
using Outlive.Interop;

namespace Outlive.Spawn;

/// <summary>One posix_spawn call with Outlive's attributes; everything it allocates is freed before it returns.</summary>
internal static unsafe class NativeSpawn
{
    internal sealed record Request(
        string ExecutablePath,
        IReadOnlyList<byte[]> Argv,
        IReadOnlyList<byte[]> Environment,
        string? WorkingDirectory,
        OutputTarget Stdout,
        OutputTarget Stderr,
        IReadOnlyList<int> PassedFds);

    private const int FirstPassedFd = 3;

    /// <summary>
    /// Returns the child's pid, or -1 with the errno posix_spawn returned (then the program is at fault: the output
    /// files and the working directory were checked here first, with this thread's credentials, and fail on their own).
    /// </summary>
    internal static int Spawn(Request request, out int errno)
    {
        CheckWorkingDirectory(request.WorkingDirectory);
        var strings = new NativeStrings();
        var outputs = new List<int>(2);
        // Copies of the passed fds above the target range, so dup2 into 3, 4, … cannot clobber a source.
        var passedCopies = new List<int>(request.PassedFds.Count);
        byte* attr = stackalloc byte[Libc.PosixSpawnAttrSize];
        byte* actions = stackalloc byte[Libc.PosixSpawnFileActionsSize];
        byte* signals = stackalloc byte[Libc.SigSetSize];
        Libc.posix_spawnattr_init(attr);
        Libc.posix_spawn_file_actions_init(actions);
        try
        {
            Check(Libc.posix_spawnattr_setflags(attr,
                Libc.POSIX_SPAWN_SETSID | Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF));
            new Span<byte>(signals, Libc.SigSetSize).Clear();
            Check(Libc.posix_spawnattr_setsigmask(attr, signals));
            // Signals 1..64 back to SIG_DFL. Set by hand: glibc's sigfillset leaves out its internal
            // signals 32 and 33, which its spawn code would then set to SIG_IGN in the child.
            *(ulong*)signals = ulong.MaxValue;
            Check(Libc.posix_spawnattr_setsigdefault(attr, signals));

            Check(Libc.posix_spawn_file_actions_addopen(actions, 0, strings.Add("/dev/null"), Libc.O_RDONLY, 0));
            AddOutput(actions, strings, outputs, 1, request.Stdout, "standard output");
            if (request.Stderr.Kind == OutputKind.File && request.Stderr == request.Stdout)
                Check(Libc.posix_spawn_file_actions_adddup2(actions, 1, 2));
            else
                AddOutput(actions, strings, outputs, 2, request.Stderr, "standard error");

            int firstFree = FirstPassedFd + request.PassedFds.Count;
            foreach (int fd in request.PassedFds)
            {
                int copy = Libc.fcntl(fd, Libc.F_DUPFD_CLOEXEC, firstFree);
                if (copy < 0)
                {
                    int e = Marshal.GetLastPInvokeError();
                    throw new ChildStartException($"cannot pass fd {fd} to the child: {Libc.StrError(e)}", e);
                }
                passedCopies.Add(copy);
            }
            for (int i = 0; i < passedCopies.Count; i++)
                Check(Libc.posix_spawn_file_actions_adddup2(actions, passedCopies[i], FirstPassedFd + i));
            Check(Libc.posix_spawn_file_actions_addclosefrom_np(actions, firstFree));

            if (request.WorkingDirectory is not null)
                Check(Libc.posix_spawn_file_actions_addchdir_np(actions, strings.Add(request.WorkingDirectory)));

            byte* path = strings.Add(request.ExecutablePath);
            byte** argv = strings.AddArray(request.Argv);
            byte** envp = strings.AddArray(request.Environment);
            errno = Libc.posix_spawn(out int pid, path, actions, attr, argv, envp);
            return errno == 0 ? pid : -1;
        }
        finally
        {
            foreach (int copy in passedCopies)
                Libc.close(copy);
            foreach (int output in outputs)
                Libc.close(output);
            Libc.posix_spawn_file_actions_destroy(actions);
            Libc.posix_spawnattr_destroy(attr);
            strings.Dispose();
        }
    }

    private static void AddOutput(byte* actions, NativeStrings strings, List<int> opened, int fd, OutputTarget target, string stream)
    {
        switch (target.Kind)
        {
            case OutputKind.Null:
                Check(Libc.posix_spawn_file_actions_addopen(actions, fd, strings.Add("/dev/null"), Libc.O_WRONLY, 0));
                break;
            case OutputKind.File:
                int file = OpenOutput(target, stream);
                opened.Add(file);
                Check(Libc.posix_spawn_file_actions_adddup2(actions, file, fd));
                break;
        }
    }

    /// <summary>
    /// Opens an output file here, not in the child: a failure names the file (not the program), and a FIFO or device
    /// cannot block the start (O_NONBLOCK: a FIFO nobody reads fails at once with ENXIO) or be written unless asked for.
    /// </summary>
    internal static int OpenOutput(OutputTarget target, string stream)
    {
        string path = target.Path!;
        int fd = Libc.open(path, Libc.O_WRONLY | Libc.O_APPEND | Libc.O_CREAT | Libc.O_NONBLOCK | Libc.O_NOCTTY | Libc.O_CLOEXEC, 0b110_100_000);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new ChildStartException(errno == Libc.ENXIO
                ? $"{stream} file {path} is a FIFO that nobody reads: refused, it would block; name a regular file"
                : $"cannot open {stream} file {path}: {Libc.StrError(errno)}; pick a file you may write", errno, path);
        }
        if (Libc.statx(fd, "", Libc.AT_EMPTY_PATH, Libc.STATX_BASIC_STATS, out Libc.Statx stat) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Libc.close(fd);
            throw new ChildStartException($"cannot stat {stream} file {path}: {Libc.StrError(errno)}", errno, path);
        }
        if (stat.FileType != Libc.S_IFREG)
        {
            if (!target.AllowsSpecialFile)
            {
                Libc.close(fd);
                throw new ChildStartException(
                    $"{stream} file {path} is not a regular file (a FIFO, socket or device): refused, it can block or vanish; name a regular file, or allow it (--allow-special-output)",
                    Libc.EINVAL, path);
            }
            // Asked for: the child gets the ordinary, blocking kind of fd.
            Libc.fcntl(fd, Libc.F_SETFL, Libc.O_WRONLY | Libc.O_APPEND);
        }
        return fd;
    }

    /// <summary>chdir(2) in the child needs search permission: check it with this thread's credentials first.</summary>
    private static void CheckWorkingDirectory(string? directory)
    {
        if (directory is not null && Libc.access(directory, Libc.X_OK) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new ChildStartException($"cannot use working directory {directory}: {Libc.StrError(errno)}; pick another --cwd", errno, directory);
        }
    }

    private static void Check(int rc)
    {
        if (rc != 0)
            throw new ChildStartException($"preparing posix_spawn failed: {Libc.StrError(rc)}", rc);
    }

    /// <summary>NUL-terminated strings (UTF-8, or bytes as given) and NULL-terminated pointer arrays in native memory.</summary>
    private sealed class NativeStrings : IDisposable
    {
        private readonly List<nint> _blocks = [];

        public byte* Add(string s)
        {
            int length = Encoding.UTF8.GetByteCount(s);
            byte* block = (byte*)NativeMemory.Alloc((nuint)length + 1);
            _blocks.Add((nint)block);
            Encoding.UTF8.GetBytes(s, new Span<byte>(block, length));
            block[length] = 0;
            return block;
        }

        public byte* Add(byte[] bytes)
        {
            byte* block = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
            _blocks.Add((nint)block);
            bytes.CopyTo(new Span<byte>(block, bytes.Length));
            block[bytes.Length] = 0;
            return block;
        }

        /// <summary>NUL-terminated copies of <paramref name="items"/> (argv, or "NAME=value" environment entries), bytes as given.</summary>
        public byte** AddArray(IReadOnlyList<byte[]> items)
        {
            byte** array = AddPointerArray(items.Count);
            for (int i = 0; i < items.Count; i++)
                array[i] = Add(items[i]);
            return array;
        }

        /// <summary>count + 1 pointers, the last one NULL.</summary>
        private byte** AddPointerArray(int count)
        {
            byte** array = (byte**)NativeMemory.Alloc((nuint)(count + 1), (nuint)sizeof(nint));
            _blocks.Add((nint)array);
            array[count] = null;
            return array;
        }

        public void Dispose()
        {
            foreach (nint block in _blocks)
                NativeMemory.Free((void*)block);
            _blocks.Clear();
        }
    }
}
