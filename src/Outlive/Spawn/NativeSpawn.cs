using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Outlive.Interop;

namespace Outlive.Spawn;

/// <summary>
/// One posix_spawn call with Outlive's attributes. What a call allocates is freed before it returns; the attributes, and
/// the usual child's file actions, are made once per process.
/// </summary>
internal static unsafe class NativeSpawn
{
    internal sealed record Request(
        string ExecutablePath,
        IReadOnlyList<byte[]> Argv,
        EnvironmentBlock Environment,
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
        var outputs = new List<int>(2);
        // Copies of the passed fds above the target range, so dup2 into 3, 4, … cannot clobber a source.
        var passedCopies = new List<int>(request.PassedFds.Count);
        bool oldGlibc = ForceOldGlibcFallbacks.Value;
        var addChdir = oldGlibc ? null : Libc.posix_spawn_file_actions_addchdir_np;
        bool chdirInChild = request.WorkingDirectory is not null && addChdir != null;
        byte* ownActions = null;
        var strings = new NativeArena(ArenaSize(request, chdirInChild));
        try
        {
            EnsureShared();
            byte* actions = !oldGlibc && IsDefault(request) ? s_defaultActions : null;
            if (actions == null)
            {
                ownActions = (byte*)NativeMemory.Alloc(Libc.PosixSpawnFileActionsSize);
                Libc.posix_spawn_file_actions_init(ownActions);
                actions = ownActions;
                AddFileActions(actions, request.Stdout, request.Stderr, request.PassedFds, outputs, passedCopies, oldGlibc);
                if (chdirInChild)
                    Check(addChdir(actions, strings.Add(request.WorkingDirectory!)));
            }

            byte* path = strings.Add(request.ExecutablePath);
            byte** argv = strings.AddArray(request.Argv);
            byte** envp = strings.AddBlock(request.Environment);
            int pid;
            if (request.WorkingDirectory is null || chdirInChild)
                errno = Libc.posix_spawn(out pid, path, actions, s_attributes, argv, envp);
            else
                errno = SpawnFromDirectory(request.WorkingDirectory, out pid, path, actions, s_attributes, argv, envp);
            return errno == 0 ? pid : -1;
        }
        finally
        {
            foreach (int copy in passedCopies)
                Libc.close(copy);
            foreach (int output in outputs)
                Libc.close(output);
            if (ownActions != null)
            {
                Libc.posix_spawn_file_actions_destroy(ownActions);
                NativeMemory.Free(ownActions);
            }
            strings.Dispose();
        }
    }

    /// <summary>
    /// Made once per process and shared by concurrent starts, since posix_spawn only reads them: the attributes every
    /// child gets (a new session, an empty signal mask, every signal back to SIG_DFL), and the usual child's file
    /// actions (stdin, stdout and stderr on /dev/null, every other fd closed; null when glibc has no addclosefrom_np).
    /// </summary>
    private static byte* s_attributes;
    private static byte* s_defaultActions;
    private static volatile bool s_sharedMade;
    private static readonly Lock s_sharedLock = new();

    private static void EnsureShared()
    {
        if (s_sharedMade)
            return;
        lock (s_sharedLock)
        {
            if (s_sharedMade)
                return;
            byte* attr = (byte*)NativeMemory.Alloc(Libc.PosixSpawnAttrSize);
            byte* signals = stackalloc byte[Libc.SigSetSize];
            Libc.posix_spawnattr_init(attr);
            Check(Libc.posix_spawnattr_setflags(attr,
                Libc.POSIX_SPAWN_SETSID | Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF));
            new Span<byte>(signals, Libc.SigSetSize).Clear();
            Check(Libc.posix_spawnattr_setsigmask(attr, signals));
            // Signals 1..64 back to SIG_DFL. Set by hand: glibc's sigfillset leaves out its internal
            // signals 32 and 33, which its spawn code would then set to SIG_IGN in the child.
            *(ulong*)signals = ulong.MaxValue;
            Check(Libc.posix_spawnattr_setsigdefault(attr, signals));
            s_attributes = attr;
            if (Libc.posix_spawn_file_actions_addclosefrom_np != null)
            {
                byte* actions = (byte*)NativeMemory.Alloc(Libc.PosixSpawnFileActionsSize);
                Libc.posix_spawn_file_actions_init(actions);
                AddFileActions(actions, OutputTarget.Null, OutputTarget.Null, [], [], [], oldGlibc: false);
                s_defaultActions = actions;
            }
            s_sharedMade = true;
        }
    }

    /// <summary>The usual child (output to /dev/null, no fds passed, no working directory): its file actions never change.</summary>
    private static bool IsDefault(Request request) =>
        request.Stdout.Kind == OutputKind.Null && request.Stderr.Kind == OutputKind.Null && request.PassedFds.Count == 0 &&
        request.WorkingDirectory is null;

    /// <summary>stdin on /dev/null, stdout and stderr as asked, the passed fds at 3, 4, …, and every other fd closed.</summary>
    private static void AddFileActions(
        byte* actions, OutputTarget stdout, OutputTarget stderr, IReadOnlyList<int> passedFds, List<int> outputs, List<int> passedCopies, bool oldGlibc)
    {
        fixed (byte* devNull = "/dev/null\0"u8)
            Check(Libc.posix_spawn_file_actions_addopen(actions, 0, devNull, Libc.O_RDONLY, 0));
        AddOutput(actions, outputs, 1, stdout, "standard output");
        if (stderr.Kind is OutputKind.File or OutputKind.Journal && stderr == stdout)
            Check(Libc.posix_spawn_file_actions_adddup2(actions, 1, 2));
        else
            AddOutput(actions, outputs, 2, stderr, "standard error");

        int firstFree = FirstPassedFd + passedFds.Count;
        foreach (int fd in passedFds)
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
        var addCloseFrom = oldGlibc ? null : Libc.posix_spawn_file_actions_addclosefrom_np;
        if (addCloseFrom != null)
            Check(addCloseFrom(actions, firstFree));
        else
            AddCloseOfInheritableFds(actions, firstFree);
    }

    /// <summary>Bytes the arena needs for the path, argv, the environment and the working directory, pointers included.</summary>
    private static int ArenaSize(Request request, bool chdirInChild)
    {
        int size = Encoding.UTF8.GetByteCount(request.ExecutablePath) + 1;
        foreach (byte[] arg in request.Argv)
            size += arg.Length + 1;
        size += request.Environment.Length;
        if (chdirInChild)
            size += Encoding.UTF8.GetByteCount(request.WorkingDirectory!) + 1;
        return size + (request.Argv.Count + 1 + request.Environment.Count + 1) * sizeof(nint) + 2 * sizeof(nint);
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

    private static void AddOutput(byte* actions, List<int> opened, int fd, OutputTarget target, string stream)
    {
        switch (target.Kind)
        {
            case OutputKind.Null:
                // glibc copies the path into the actions, so a literal's bytes do.
                fixed (byte* devNull = "/dev/null\0"u8)
                    Check(Libc.posix_spawn_file_actions_addopen(actions, fd, devNull, Libc.O_WRONLY, 0));
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

    /// <summary>
    /// One native block for everything posix_spawn reads: NUL-terminated strings (UTF-8, or bytes as given) and
    /// NULL-terminated pointer arrays, laid out one after another; freed in one piece.
    /// </summary>
    private struct NativeArena(int size) : IDisposable
    {
        private byte* _block = (byte*)NativeMemory.Alloc((nuint)size);
        private readonly int _size = size;
        private int _used;

        public byte* Add(string s)
        {
            int length = Encoding.UTF8.GetByteCount(s);
            byte* target = Take(length + 1, 1);
            Encoding.UTF8.GetBytes(s, new Span<byte>(target, length));
            target[length] = 0;
            return target;
        }

        /// <summary>NUL-terminated copies of <paramref name="items"/>, bytes as given, and the NULL-terminated array of them.</summary>
        public byte** AddArray(IReadOnlyList<byte[]> items)
        {
            byte** array = (byte**)Take((items.Count + 1) * sizeof(nint), sizeof(nint));
            for (int i = 0; i < items.Count; i++)
            {
                byte* copy = Take(items[i].Length + 1, 1);
                items[i].CopyTo(new Span<byte>(copy, items[i].Length));
                copy[items[i].Length] = 0;
                array[i] = copy;
            }
            array[items.Count] = null;
            return array;
        }

        /// <summary>The block's entries copied in one piece (they are NUL-terminated already), and the array of them.</summary>
        public byte** AddBlock(EnvironmentBlock block)
        {
            byte** array = (byte**)Take((block.Count + 1) * sizeof(nint), sizeof(nint));
            byte* entries = Take(block.Length, 1);
            ReadOnlySpan<byte> source = block.Bytes.AsSpan(0, block.Length);
            source.CopyTo(new Span<byte>(entries, block.Length));
            int offset = 0;
            for (int i = 0; i < block.Count; i++)
            {
                array[i] = entries + offset;
                offset += source[offset..].IndexOf((byte)0) + 1;
            }
            array[block.Count] = null;
            return array;
        }

        private byte* Take(int bytes, int alignment)
        {
            int start = (_used + alignment - 1) & ~(alignment - 1);
            if (start + bytes > _size)
                throw new InvalidOperationException("native arena sized too small");
            _used = start + bytes;
            return _block + start;
        }

        public void Dispose()
        {
            NativeMemory.Free(_block);
            _block = null;
        }
    }
}
