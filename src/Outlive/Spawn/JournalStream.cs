using System.Net.Sockets;
using System.Text;
using Outlive.Interop;

namespace Outlive.Spawn;

/// <summary>
/// A stream into the journal, as systemd gives a service's stdout (sd_journal_stream_fd(3)): connect to journald's
/// stdout socket, send the documented header, and hand the socket to the child as its stdout or stderr. journald
/// records the connecting process's PID and unit with the stream, so lines are found by SYSLOG_IDENTIFIER.
/// </summary>
internal static class JournalStream
{
    internal const string SocketPath = "/run/systemd/journal/stdout";

    /// <summary>An fd (CLOEXEC, the caller's to close) whose lines land in the journal with <paramref name="identifier"/> at <paramref name="priority"/>.</summary>
    public static int Open(string identifier, int priority, string stream)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(SocketPath));
            socket.Shutdown(SocketShutdown.Receive);
            // identifier, unit id (empty: journald's own lookup), priority, level prefix, forward to syslog, kmsg, console.
            socket.Send(Encoding.UTF8.GetBytes($"{identifier}\n\n{priority}\n0\n0\n0\n0\n"));
            int fd = Libc.fcntl((int)socket.SafeHandle.DangerousGetHandle(), Libc.F_DUPFD_CLOEXEC, 3);
            if (fd < 0)
                throw new ChildStartException($"cannot keep the journal stream for {stream}: {Libc.StrError(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
            return fd;
        }
        catch (SocketException e)
        {
            throw new ChildStartException($"cannot connect {stream} to the journal at {SocketPath}: {e.Message}; is systemd-journald running? Name a file instead", e.ErrorCode, SocketPath);
        }
        finally
        {
            socket.Dispose();
        }
    }
}
