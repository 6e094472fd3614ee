using System.Runtime.InteropServices;

namespace Outlive.Interop;

internal static partial class Libc
{
    internal const short POLLIN = 0x1;

    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Name, EntryPoint = "poll", SetLastError = true)]
    internal static unsafe partial int poll(PollFd* fds, nuint nfds, int timeoutMs);

    /// <summary>Waits until <paramref name="fd"/> is readable (a pidfd is readable once its process exits).</summary>
    internal static unsafe bool WaitReadable(int fd, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            int remaining = (int)Math.Max(0, deadline - Environment.TickCount64);
            var pfd = new PollFd { Fd = fd, Events = POLLIN };
            int n = poll(&pfd, 1, remaining);
            if (n > 0)
                return true;
            if (n == 0)
                return false;
            if (Marshal.GetLastPInvokeError() != EINTR)
                throw new InvalidOperationException($"poll failed: {StrError(Marshal.GetLastPInvokeError())}");
        }
    }
}
