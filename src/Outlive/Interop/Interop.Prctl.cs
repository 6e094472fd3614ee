using System.Runtime.InteropServices;

namespace Outlive.Interop;

internal static partial class Libc
{
    internal const int PR_GET_PDEATHSIG = 2;

    [LibraryImport(Name, EntryPoint = "prctl", SetLastError = true)]
    internal static unsafe partial int prctl(int option, int* arg2, nint arg3, nint arg4, nint arg5);

    /// <summary>Reads an int-valued prctl setting of the calling process (or thread, for PDEATHSIG).</summary>
    internal static unsafe int PrctlGetInt(int option)
    {
        int value = 0;
        return prctl(option, &value, 0, 0, 0) == 0 ? value : -1;
    }
}
