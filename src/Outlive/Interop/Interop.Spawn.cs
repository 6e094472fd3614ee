using System.Runtime.InteropServices;

namespace Outlive.Interop;

internal static partial class Libc
{
    // glibc 2.36, x86_64 and aarch64: sizes of the opaque spawn types (checked with sizeof in C).
    internal const int PosixSpawnAttrSize = 336;
    internal const int PosixSpawnFileActionsSize = 80;
    internal const int SigSetSize = 128;

    internal const short POSIX_SPAWN_SETSIGDEF = 0x04;
    internal const short POSIX_SPAWN_SETSIGMASK = 0x08;
    internal const short POSIX_SPAWN_SETSID = 0x80;


    /// <summary>Returns the error number (posix_spawn does not set errno); on success the child has exec'd.</summary>
    [LibraryImport(Name, EntryPoint = "posix_spawn")]
    internal static unsafe partial int posix_spawn(out int pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(Name, EntryPoint = "posix_spawnattr_init")]
    internal static unsafe partial int posix_spawnattr_init(void* attr);

    [LibraryImport(Name, EntryPoint = "posix_spawnattr_setflags")]
    internal static unsafe partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport(Name, EntryPoint = "posix_spawnattr_setsigmask")]
    internal static unsafe partial int posix_spawnattr_setsigmask(void* attr, void* sigmask);

    [LibraryImport(Name, EntryPoint = "posix_spawnattr_setsigdefault")]
    internal static unsafe partial int posix_spawnattr_setsigdefault(void* attr, void* sigdefault);

    [LibraryImport(Name, EntryPoint = "posix_spawn_file_actions_init")]
    internal static unsafe partial int posix_spawn_file_actions_init(void* actions);

    [LibraryImport(Name, EntryPoint = "posix_spawn_file_actions_destroy")]
    internal static unsafe partial int posix_spawn_file_actions_destroy(void* actions);

    [LibraryImport(Name, EntryPoint = "posix_spawn_file_actions_addopen")]
    internal static unsafe partial int posix_spawn_file_actions_addopen(void* actions, int fd, byte* path, int oflag, uint mode);

    [LibraryImport(Name, EntryPoint = "posix_spawn_file_actions_adddup2")]
    internal static unsafe partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newFd);

    [LibraryImport(Name, EntryPoint = "posix_spawn_file_actions_addclose")]
    internal static unsafe partial int posix_spawn_file_actions_addclose(void* actions, int fd);

    /// <summary>glibc ≥ 2.34: closes every fd ≥ lowFd in the child, CLOEXEC or not. Null where glibc lacks it.</summary>
    internal static unsafe delegate* unmanaged<void*, int, int> posix_spawn_file_actions_addclosefrom_np =>
        (delegate* unmanaged<void*, int, int>)OptionalExports.AddCloseFrom;

    /// <summary>glibc ≥ 2.29: chdir(path) in the child. Null where glibc lacks it.</summary>
    internal static unsafe delegate* unmanaged<void*, byte*, int> posix_spawn_file_actions_addchdir_np =>
        (delegate* unmanaged<void*, byte*, int>)OptionalExports.AddChdir;
}
