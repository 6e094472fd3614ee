using System.Runtime.InteropServices;

namespace Outlive.Interop;

internal static partial class Libc
{
    [LibraryImport(Name, EntryPoint = "getrandom", SetLastError = true)]
    private static unsafe partial nint getrandom(byte* buffer, nuint length, uint flags);

    /// <summary>
    /// Random bytes from the kernel (getrandom(2)): for unit names and tokens. Not RandomNumberGenerator, which loads
    /// OpenSSL at start-up and aborts a NativeAOT binary on a machine without libssl.
    /// </summary>
    internal static unsafe byte[] RandomBytes(int count)
    {
        byte[] bytes = new byte[count];
        fixed (byte* start = bytes)
        {
            for (int filled = 0; filled < count;)
            {
                nint n = getrandom(start + filled, (nuint)(count - filled), 0);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR)
                        continue;
                    throw new OutliveIOException($"getrandom failed: {StrError(errno)}");
                }
                filled += (int)n;
            }
        }
        return bytes;
    }
}
