using System.Runtime.InteropServices;

namespace Outlive.Tests.Support;

/// <summary>Native calls only tests make: they set up the leaky fds that Outlive must not pass on.</summary>
internal static partial class TestLibc
{
    internal const int O_RDONLY = 0;
    internal const int F_SETFD = 2;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "close")]
    internal static partial int close(int fd);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    internal static unsafe partial int pipe2(int* fds, int flags);
}
