using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Outlive.Interop;

namespace Outlive.Escape.Gate;

/// <summary>
/// The gate program (gate.c) as an executable, sealed memfd of this process: no file on disk that anyone could
/// swap, nothing to install. A held child execs it as <c>/proc/self/fd/N</c> with a copy of the fd at N.
/// </summary>
internal static class GateFile
{
    // Made on first use under a lock, not a Lazy: a failed first try (EMFILE, say) is not remembered; the next start
    // tries again, and racing starts never make two.
    private static readonly Lock s_lock = new();
    private static int s_fd = -1;

    /// <summary>The memfd (close-on-exec in this process); created on first use.</summary>
    internal static int Fd
    {
        get
        {
            lock (s_lock)
                return s_fd >= 0 ? s_fd : s_fd = Create();
        }
    }

    /// <summary>The gate's argv: what a held child runs until it is released (see gate.c).</summary>
    internal static byte[][] Argv(int gateFd, string program, IReadOnlyList<byte[]> argv) =>
        [.. new[] { "outlive-gate", gateFd.ToString(CultureInfo.InvariantCulture), program }.Select(Encoding.UTF8.GetBytes), .. argv];

    /// <summary>The path a child execs the gate by, once a copy of <see cref="Fd"/> sits at <paramref name="slot"/> in it.</summary>
    internal static string PathInChild(int slot) => "/proc/self/fd/" + slot.ToString(CultureInfo.InvariantCulture);

    private static unsafe int Create()
    {
        byte[] image = Convert.FromBase64String(RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => GateImage.X64Base64,
            Architecture.Arm64 => GateImage.Arm64Base64,
            var other => throw new ChildStartException($"a held start needs the gate program, which is built for x64 and arm64, not {other}", Libc.ENOEXEC),
        });
        int fd = Libc.memfd_create("outlive-gate", Libc.MFD_CLOEXEC | Libc.MFD_ALLOW_SEALING);
        if (fd < 0)
            throw Failed("memfd_create");
        try
        {
            fixed (byte* bytes = image)
            {
                for (int written = 0; written < image.Length;)
                {
                    nint n = Libc.write(fd, bytes + written, (nuint)(image.Length - written));
                    if (n < 0 && Marshal.GetLastPInvokeError() != Libc.EINTR)
                        throw Failed("write to the memfd");
                    written += (int)Math.Max(n, 0);
                }
            }
            // Nobody, not even this process, can change the gate from now on.
            if (Libc.fcntl(fd, Libc.F_ADD_SEALS, Libc.F_SEAL_SHRINK | Libc.F_SEAL_GROW | Libc.F_SEAL_WRITE | Libc.F_SEAL_SEAL) != 0)
                throw Failed("sealing the memfd");
            return fd;
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
    }

    private static ChildStartException Failed(string what)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new ChildStartException($"cannot set up the held start's gate ({what}: {Libc.StrError(errno)})", errno);
    }
}
