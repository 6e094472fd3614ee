using System.Globalization;
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
    /// Tests set it to run the paths for glibc &lt; 2.34 and &lt; 2.29 on a newer glibc; an AsyncLocal, so it reaches
    /// the spawns of the test that sets it (threads it starts included) and no other test's.
    /// </summary>
    internal static readonly AsyncLocal<bool> ForceOldGlibcFallbacks = new();

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
            if (request.Stderr.Kind is OutputKind.File or OutputKind.Journal && request.Stderr == request.Stdout)
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
            var addCloseFrom = ForceOldGlibcFallbacks.Value ? null : Libc.posix_spawn_file_actions_addclosefrom_np;
            if (addCloseFrom != null)
                Check(addCloseFrom(actions, firstFree));
            else
                AddCloseOfInheritableFds(actions, firstFree);

            var addChdir = ForceOldGlibcFallbacks.Value ? null : Libc.posix_spawn_file_actions_addchdir_np;
            if (request.WorkingDirectory is not null && addChdir != null)
                Check(addChdir(actions, strings.Add(request.WorkingDirectory)));

            byte* path = strings.Add(request.ExecutablePath);
            byte** argv = strings.AddArray(request.Argv);
            byte** envp = strings.AddArray(request.Environment);
            int pid;
            if (request.WorkingDirectory is null || addChdir != null)
                errno = Libc.posix_spawn(out pid, path, actions, attr, argv, envp);
            else
                errno = SpawnFromDirectory(request.WorkingDirectory, out pid, path, actions, attr, argv, envp);
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

    /// <summary>
    /// Without addclosefrom_np (glibc &lt; 2.34): a close action for each fd ≥ <paramref name="lowFd"/> that exec would
    /// keep, i.e. without FD_CLOEXEC (the passed copies, the output files and the fd listing /proc/self/fd all have it).
    /// One that another thread closes before the spawn is harmless: glibc's child ignores a failed close of an fd in
    /// range. Left open: an inheritable fd another thread opens between this listing and the spawn reaches the child
    /// (.NET opens its own fds CLOEXEC, so only code that clears the flag on purpose can race this way).
    /// </summary>
    private static void AddCloseOfInheritableFds(byte* actions, int lowFd)
    {
        List<int> inheritable = [];
        try
        {
            foreach (string entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
            {
                if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int fd) && fd >= lowFd)
                {
                    int flags = Libc.fcntl(fd, Libc.F_GETFD, 0);
                    if (flags >= 0 && (flags & Libc.FD_CLOEXEC) == 0)
                        inheritable.Add(fd);
                }
            }
        }
        catch (IOException e)
        {
            throw new ChildStartException($"cannot list /proc/self/fd to keep this process's fds from the child: {e.Message}; mount /proc", Libc.ENOENT);
        }
        foreach (int fd in inheritable)
            Check(Libc.posix_spawn_file_actions_addclose(actions, fd));
    }

    /// <summary>
    /// Without addchdir_np (glibc &lt; 2.29): posix_spawn from a throwaway thread with a working directory of its own
    /// (unshare(CLONE_FS), then chdir), which the child inherits; the process's working directory never moves. The
    /// thread starts with the calling thread's credentials and umask, so chdir is checked as the child's would be.
    /// </summary>
    private static int SpawnFromDirectory(string directory, out int pid, byte* path, byte* actions, byte* attr, byte** argv, byte** envp)
    {
        (nint Path, nint Actions, nint Attr, nint Argv, nint Envp) native = ((nint)path, (nint)actions, (nint)attr, (nint)argv, (nint)envp);
        int spawned = -1, errno = 0, chdirErrno = 0;
        var thread = new Thread(() =>
        {
            if (Libc.unshare(Libc.CLONE_FS) != 0 || Libc.chdir(directory) != 0)
            {
                chdirErrno = Marshal.GetLastPInvokeError();
                return;
            }
            errno = Libc.posix_spawn(out spawned, (byte*)native.Path, (void*)native.Actions, (void*)native.Attr, (byte**)native.Argv, (byte**)native.Envp);
        })
        { IsBackground = true, Name = "outlive-spawn-in-dir" };
        thread.Start();
        thread.Join();
        if (chdirErrno != 0)
            throw new ChildStartException($"cannot use working directory {directory}: {Libc.StrError(chdirErrno)}; pick another --cwd", chdirErrno, directory);
        pid = spawned;
        return errno;
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
            case OutputKind.Journal:
                // LOG_INFO, as systemd gives a service's output.
                int journal = JournalStream.Open(target.Identifier ?? "outlive", 6, stream);
                opened.Add(journal);
                Check(Libc.posix_spawn_file_actions_adddup2(actions, journal, fd));
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
