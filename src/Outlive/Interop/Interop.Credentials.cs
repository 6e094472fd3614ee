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
    // change every thread of the runtime.
    private static readonly (long Setgroups, long Setresgid, long Setresuid) s_credentialSyscalls =
        CredentialSyscallsOn(RuntimeInformation.ProcessArchitecture);

    /// <summary>The syscall numbers of aarch64 or x86_64; per architecture, so the layout test checks arm64's against its headers on any machine.</summary>
    internal static (long Setgroups, long Setresgid, long Setresuid) CredentialSyscallsOn(Architecture architecture) =>
        architecture == Architecture.Arm64 ? (159, 149, 147) : (116, 119, 117);

    internal static unsafe int ThreadSetGroups(ReadOnlySpan<uint> groups)
    {
        fixed (uint* p = groups)
            return (int)syscall(s_credentialSyscalls.Setgroups, groups.Length, (long)p, 0);
    }

    internal static int ThreadSetResGid(uint gid) => (int)syscall(s_credentialSyscalls.Setresgid, gid, gid, gid);

    internal static int ThreadSetResUid(uint uid) => (int)syscall(s_credentialSyscalls.Setresuid, uid, uid, uid);
}
