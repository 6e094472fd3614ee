using System.Runtime.InteropServices;

namespace Outlive.Interop;

internal static partial class Libc
{
    internal const int PR_GET_PDEATHSIG = 2;
    internal const int PR_SET_NAME = 15;

    [LibraryImport(Name, EntryPoint = "prctl", SetLastError = true)]
    internal static unsafe partial int prctl(int option, int* arg2, nint arg3, nint arg4, nint arg5);

    /// <summary>Reads an int-valued prctl setting of the calling process (or thread, for PDEATHSIG).</summary>
    internal static unsafe int PrctlGetInt(int option)
    {
        int value = 0;
        return prctl(option, &value, 0, 0, 0) == 0 ? value : -1;
    }

    /// <summary>Names the calling thread (up to 15 bytes), as ps -L and /proc/PID/task/TID/comm show it.</summary>
    internal static unsafe void NameThisThread(ReadOnlySpan<byte> nulTerminatedName)
    {
        fixed (byte* name = nulTerminatedName)
            prctl(PR_SET_NAME, (int*)name, 0, 0, 0);
    }
}
