using System.Runtime.InteropServices;

namespace Outlive.Interop;

internal static partial class Libc
{
    internal const int CLONE_FS = 0x200;

    [LibraryImport(Name, EntryPoint = "unshare", SetLastError = true)]
    internal static partial int unshare(int flags);

    [LibraryImport(Name, EntryPoint = "umask")]
    internal static partial uint umask(uint mask);

    [LibraryImport(Name, EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall(long number, long a1, long a2, long a3);

    [LibraryImport(Name, EntryPoint = "getgrouplist", StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int getgrouplist(string user, uint group, uint* groups, int* ngroups);

    // Raw syscalls change the calling thread's credentials only; glibc's setuid() and friends would
    // change every thread of the runtime. Numbers: x86_64 / aarch64.
    private static bool IsArm64 => RuntimeInformation.ProcessArchitecture == Architecture.Arm64;
    private static long SysSetgroups => IsArm64 ? 159 : 116;
    private static long SysSetresgid => IsArm64 ? 149 : 119;
    private static long SysSetresuid => IsArm64 ? 147 : 117;

    internal static unsafe int ThreadSetGroups(ReadOnlySpan<uint> groups)
    {
        fixed (uint* p = groups)
            return (int)syscall(SysSetgroups, groups.Length, (long)p, 0);
    }

    internal static int ThreadSetResGid(uint gid) => (int)syscall(SysSetresgid, gid, gid, gid);

    internal static int ThreadSetResUid(uint uid) => (int)syscall(SysSetresuid, uid, uid, uid);
}
