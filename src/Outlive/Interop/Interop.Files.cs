using System.Runtime.InteropServices;

namespace Outlive.Interop;

internal static partial class Libc
{
    internal const int O_RDONLY = 0;
    internal const int O_WRONLY = 1;
    internal const int O_RDWR = 2;
    internal const int O_CREAT = 0x40;
    internal const int O_EXCL = 0x80;
    internal const int O_APPEND = 0x400;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_NOCTTY = 0x100;
    internal const int O_CLOEXEC = 0x80000;

    /// <summary>O_NOFOLLOW is one of the few open flags whose value differs between x86 and ARM.</summary>
    internal static readonly int O_NOFOLLOW = ONoFollowOn(RuntimeInformation.ProcessArchitecture);

    /// <summary>Per architecture, so the layout test checks arm64's value against arm64's headers on any machine.</summary>
    internal static int ONoFollowOn(Architecture architecture) => architecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    internal const int LOCK_EX = 2;
    internal const int LOCK_NB = 4;
    internal const int LOCK_UN = 8;

    internal const int AT_FDCWD = -100;
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const int AT_EMPTY_PATH = 0x1000;
    internal const uint STATX_BASIC_STATS = 0x7ff;

    internal const uint S_IFMT = 0xF000;
    internal const uint S_IFREG = 0x8000;
    internal const uint S_IFDIR = 0x4000;
    internal const uint S_IFLNK = 0xA000;

    /// <summary>The fields of struct statx we read; statx's layout is the same on every architecture, unlike struct stat.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    internal struct Statx
    {
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        // stx_dev_*: the device of the file system holding the file (128 and 132 are stx_rdev_*, the device a device file names).
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;

        public readonly uint FileType => Mode & S_IFMT;
        public readonly uint Permissions => Mode & 0xFFFu;
    }

    /// <summary>open(2) with an explicit mode (the variadic argument is passed like a fixed one on Linux x64/arm64).</summary>
    [LibraryImport(Name, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int open(string path, int flags, uint mode);

    /// <summary>open(2) relative to a directory descriptor: a registry listing resolves each entry's name in one step.</summary>
    [LibraryImport(Name, EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int openat(int dirFd, string path, int flags, uint mode);

    /// <summary>open(2) of a NUL-terminated UTF-8 path the caller built (no string for a path used once).</summary>
    [LibraryImport(Name, EntryPoint = "open", SetLastError = true)]
    internal static unsafe partial int open(byte* path, int flags, uint mode);

    /// <summary>
    /// A directory's entries (struct linux_dirent64, the same on every architecture) into the buffer; through syscall(2),
    /// as glibc wraps it only from 2.30 and Outlive's own calls need no glibc newer than 2.28.
    /// </summary>
    internal static unsafe nint getdents64(int fd, byte* buffer, nuint count) =>
        (nint)syscall(s_getdents64, fd, (long)buffer, (long)count);

    private static readonly long s_getdents64 = GetDents64SyscallOn(RuntimeInformation.ProcessArchitecture);

    /// <summary>The syscall number of aarch64 or x86_64; per architecture, so the layout test checks arm64's against its headers on any machine.</summary>
    internal static long GetDents64SyscallOn(Architecture architecture) => architecture == Architecture.Arm64 ? 61 : 217;

    [LibraryImport(Name, EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int unlink(string path);

    [LibraryImport(Name, EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mkdir(string path, uint mode);

    [LibraryImport(Name, EntryPoint = "read", SetLastError = true)]
    internal static unsafe partial nint read(int fd, byte* buffer, nuint count);

    [LibraryImport(Name, EntryPoint = "fchmod", SetLastError = true)]
    internal static partial int fchmod(int fd, uint mode);

    [LibraryImport(Name, EntryPoint = "flock", SetLastError = true)]
    internal static partial int flock(int fd, int operation);

    [LibraryImport(Name, EntryPoint = "fsync", SetLastError = true)]
    internal static partial int fsync(int fd);

    [LibraryImport(Name, EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rename(string oldPath, string newPath);

    internal const uint RENAME_NOREPLACE = 1;

    /// <summary>glibc ≥ 2.28. With RENAME_NOREPLACE, fails with EEXIST instead of replacing the target.</summary>
    [LibraryImport(Name, EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int renameat2(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);

    [LibraryImport(Name, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int statx(int dirFd, string path, int flags, uint mask, out Statx buffer);
}
