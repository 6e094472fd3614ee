using System.Runtime.InteropServices;

namespace Outlive.Interop;

internal static partial class Libc
{
    internal const int F_DUPFD_CLOEXEC = 1030;
    internal const int F_GETFD = 1;
    internal const int FD_CLOEXEC = 1;
    internal const int F_SETFL = 4;
    internal const int X_OK = 1;

    [LibraryImport(Name, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(Name, EntryPoint = "chdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int chdir(string path);

    [LibraryImport(Name, EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int access(string path, int mode);
}

internal static partial class Libc
{
    [LibraryImport(Name, EntryPoint = "pipe2", SetLastError = true)]
    internal static unsafe partial int pipe2(int* fds, int flags);

    [LibraryImport(Name, EntryPoint = "write", SetLastError = true)]
    internal static unsafe partial nint write(int fd, byte* buffer, nuint count);
}
