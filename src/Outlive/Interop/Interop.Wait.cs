using System.Runtime.InteropServices;

namespace Outlive.Interop;

internal static partial class Libc
{
    internal const int P_PID = 1;
    internal const int P_PIDFD = 3;
    internal const int WNOHANG = 1;
    internal const int WEXITED = 4;

    internal const int CLD_EXITED = 1;

    /// <summary>The part of siginfo_t that waitid fills (x86_64/aarch64 layout); the struct is 128 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    internal struct SigInfo
    {
        [FieldOffset(0)] public int Signo;
        [FieldOffset(8)] public int Code;
        [FieldOffset(16)] public int Pid;
        [FieldOffset(24)] public int Status;
    }

    [LibraryImport(Name, EntryPoint = "waitid", SetLastError = true)]
    internal static unsafe partial int waitid(int idType, int id, SigInfo* info, int options);
}
