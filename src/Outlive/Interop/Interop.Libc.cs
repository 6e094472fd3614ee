using System.Runtime.InteropServices;

namespace Outlive.Interop;

/// <summary>Every native call Outlive makes goes through this class: one partial file per syscall group.</summary>
internal static partial class Libc
{
    internal const string Name = "libc";

    internal const int EPERM = 1;
    internal const int ENOENT = 2;
    internal const int ESRCH = 3;
    internal const int EINTR = 4;
    internal const int EAGAIN = 11;
    internal const int EACCES = 13;
    internal const int EEXIST = 17;
    internal const int ENOTDIR = 20;
    internal const int EINVAL = 22;
    internal const int ELOOP = 40;
    internal const int ENOSYS = 38;
    internal const int ENXIO = 6;
    internal const int EISDIR = 21;
    internal const int ENOEXEC = 8;

    [LibraryImport(Name, EntryPoint = "strerror_r")]
    private static unsafe partial byte* strerror_r(int errnum, byte* buf, nuint buflen);

    /// <summary>The C library's text for an errno value (GNU strerror_r returns a pointer, not an int).</summary>
    internal static unsafe string StrError(int errno)
    {
        byte* buffer = stackalloc byte[256];
        byte* text = strerror_r(errno, buffer, 256);
        return Marshal.PtrToStringUTF8((nint)text) ?? $"errno {errno}";
    }

    /// <summary>
    /// Functions newer than Outlive's floor (glibc 2.28), looked up on first use instead of bound: a missing one would
    /// throw EntryPointNotFoundException at its first call, and would keep the NativeAOT binary from loading.
    /// </summary>
    private static class OptionalExports
    {
        // Already loaded (every .NET process links it), so dlopen finds it by soname without opening a file.
        private static readonly nint Glibc = NativeLibrary.TryLoad("libc.so.6", out nint handle) ? handle : 0;

        internal static readonly nint AddCloseFrom = Find("posix_spawn_file_actions_addclosefrom_np"); // 2.34
        internal static readonly nint AddChdir = Find("posix_spawn_file_actions_addchdir_np"); // 2.29
        internal static readonly nint PthreadCreate = Find("pthread_create"); // in libc.so.6 from 2.34
        internal static readonly nint PthreadDetach = Find("pthread_detach");

        private static nint Find(string name) => Glibc != 0 && NativeLibrary.TryGetExport(Glibc, name, out nint address) ? address : 0;
    }
}
