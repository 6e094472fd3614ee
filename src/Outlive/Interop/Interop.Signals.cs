using System.Runtime.InteropServices;

namespace Outlive.Interop;

internal static partial class Libc
{
    internal const int SIGHUP = 1;
    internal const int SIGINT = 2;
    internal const int SIGKILL = 9;
    internal const int SIGTERM = 15;

    [LibraryImport(Name, EntryPoint = "kill", SetLastError = true)]
    internal static partial int kill(int pid, int sig);
}
