using System.Runtime.InteropServices;

namespace Outlive.Interop;

internal static partial class Libc
{
    internal const int EPOLL_CLOEXEC = 0x80000;
    internal const int EPOLL_CTL_ADD = 1;
    internal const uint EPOLLIN = 0x1;

    /// <summary>
    /// struct epoll_event is packed on x86 (12 bytes, data at 4) and naturally aligned elsewhere
    /// (16 bytes, data at 8), so one managed struct cannot match both: callers go through
    /// <see cref="EpollAdd"/> and <see cref="EpollWait"/>, which pick the struct of this architecture.
    /// </summary>
    internal static readonly bool EpollEventIsPacked = EpollEventIsPackedOn(RuntimeInformation.ProcessArchitecture);

    /// <summary>Per architecture, so the layout test checks arm64's choice against arm64's headers on any machine.</summary>
    internal static bool EpollEventIsPackedOn(Architecture architecture) => architecture is Architecture.X64 or Architecture.X86;

    /// <summary>struct epoll_event on x86_64 (and i386).</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    internal struct PackedEpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    /// <summary>struct epoll_event on aarch64 and every other architecture.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct AlignedEpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [LibraryImport(Name, EntryPoint = "epoll_create1", SetLastError = true)]
    internal static partial int epoll_create1(int flags);

    [LibraryImport(Name, EntryPoint = "epoll_ctl", SetLastError = true)]
    private static unsafe partial int epoll_ctl(int epfd, int op, int fd, void* ev);

    [LibraryImport(Name, EntryPoint = "epoll_wait", SetLastError = true)]
    private static unsafe partial int epoll_wait(int epfd, void* events, int maxEvents, int timeoutMs);

    /// <summary>epoll_ctl(EPOLL_CTL_ADD): 0, or -1 with the errno left for <see cref="Marshal.GetLastPInvokeError"/>.</summary>
    internal static unsafe int EpollAdd(int epfd, int fd, uint events, ulong data)
    {
        if (EpollEventIsPacked)
        {
            var packed = new PackedEpollEvent { Events = events, Data = data };
            return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &packed);
        }
        var aligned = new AlignedEpollEvent { Events = events, Data = data };
        return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &aligned);
    }

    /// <summary>
    /// epoll_wait for at most <paramref name="data"/>.Length events; the data of each ready one goes to
    /// <paramref name="data"/>. Returns their count, or -1 with the errno left for <see cref="Marshal.GetLastPInvokeError"/>.
    /// </summary>
    internal static unsafe int EpollWait(int epfd, Span<ulong> data, int timeoutMs)
    {
        int n;
        if (EpollEventIsPacked)
        {
            var packed = stackalloc PackedEpollEvent[data.Length];
            n = epoll_wait(epfd, packed, data.Length, timeoutMs);
            for (int i = 0; i < n; i++)
                data[i] = packed[i].Data;
        }
        else
        {
            var aligned = stackalloc AlignedEpollEvent[data.Length];
            n = epoll_wait(epfd, aligned, data.Length, timeoutMs);
            for (int i = 0; i < n; i++)
                data[i] = aligned[i].Data;
        }
        return n;
    }
}
