using System.Runtime.InteropServices;
using Outlive.Interop;

namespace Outlive.Registry;

/// <summary>
/// Stops registered children without ever signalling a recycled PID: the identity (pid + start time + boot id)
/// is checked again after pidfd_open, when the pidfd pins the process, and every signal goes through that pidfd.
/// Without pidfds (kernel &lt; 5.3) the identity is checked right before each kill(2), and the exit is seen by the
/// identity no longer matching.
/// Children escaped into a systemd unit are stopped through <paramref name="units"/>: their unit, not their PID.
/// </summary>
internal sealed class ChildStopper(RegistryStore registry, SystemdChildUnits units)
{
    /// <summary>How long to wait for a SIGKILLed process to be gone.</summary>
    public static readonly TimeSpan KillWait = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Sends <paramref name="signal"/>, waits up to <paramref name="timeout"/> for the exit, then SIGKILL if
    /// <paramref name="killAfter"/>. A child in a unit is stopped by stopping the unit (a service with Restart=
    /// would otherwise come back under a new PID). Once the child is gone its entry and PID file are removed.
    /// </summary>
    public async Task<StopOutcome> StopAsync(RegistryEntry entry, int signal, TimeSpan timeout, bool killAfter, CancellationToken cancellationToken)
    {
        StopOutcome outcome = entry.Unit is null
            ? await SignalAndWaitAsync(entry, signal, timeout, killAfter, cancellationToken).ConfigureAwait(false)
            : await units.StopAsync(entry, signal, timeout, killAfter, cancellationToken).ConfigureAwait(false);
        if (outcome != StopOutcome.StillRunning)
        {
            try
            {
                registry.Remove(entry);
            }
            catch (Exception e) when (e is OutliveException or IOException or UnauthorizedAccessException)
            {
                throw new EntryNotRemovedException(
                    $"'{entry.Name}' (pid {entry.Pid}) is {(outcome == StopOutcome.AlreadyGone ? "not running" : "stopped")}, but its entry could not be removed: {e.Message.TrimEnd('.')}; 'outlive prune' removes it once the state dir is writable",
                    e);
            }
        }
        return outcome;
    }

    private static async Task<StopOutcome> SignalAndWaitAsync(RegistryEntry entry, int signal, TimeSpan timeout, bool killAfter, CancellationToken cancellationToken)
    {
        if (!IsSameProcess(entry))
            return StopOutcome.AlreadyGone;
        if (!PidFds.Usable)
        {
            // Left open here: the PID can be freed and given to a new process between the check and kill(2), a window
            // of microseconds that needs the whole PID space to wrap around within it. Only a pidfd closes it.
            return await EscalateAsync(
                // Pid > 0 also keeps kill from ever meaning a process group or every process.
                s => entry.Pid > 0 && IsSameProcess(entry) && Sent(Libc.kill(entry.Pid, s), entry),
                () => RegistryStore.ProcessState(entry.Identity) != ChildState.Running,
                signal, timeout, killAfter, cancellationToken).ConfigureAwait(false);
        }
        using var pidfd = Libc.pidfd_open(entry.Pid, 0);
        if (pidfd.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == Libc.ESRCH ? StopOutcome.AlreadyGone : throw new OutliveIOException($"pidfd_open({entry.Pid}) failed: {Libc.StrError(errno)}");
        }
        // The PID may have been reused between the first check and pidfd_open; from now on it cannot be.
        if (!IsSameProcess(entry))
            return StopOutcome.AlreadyGone;
        // A pidfd turns readable when its process exits.
        return await EscalateAsync(
            s => Sent(Libc.pidfd_send_signal(pidfd, s, 0, 0), entry),
            () => Libc.WaitReadable(pidfd.Fd, TimeSpan.Zero),
            signal, timeout, killAfter, cancellationToken).ConfigureAwait(false);
    }

    /// <param name="send">Sends a signal; false when the process was gone before it reached it.</param>
    /// <param name="exited">Whether the process has exited by now.</param>
    private static async Task<StopOutcome> EscalateAsync(
        Func<int, bool> send, Func<bool> exited, int signal, TimeSpan timeout, bool killAfter, CancellationToken cancellationToken)
    {
        if (!send(signal))
            return StopOutcome.AlreadyGone;
        if (await ExitsWithinAsync(exited, timeout, cancellationToken).ConfigureAwait(false))
            return StopOutcome.Stopped;
        if (!killAfter)
            return StopOutcome.StillRunning;
        if (!send(Libc.SIGKILL))
            return StopOutcome.Stopped;
        return await ExitsWithinAsync(exited, KillWait, cancellationToken).ConfigureAwait(false) ? StopOutcome.Killed : StopOutcome.StillRunning;
    }

    /// <summary>Polled with a growing pause, so waiting holds no thread.</summary>
    private static async Task<bool> ExitsWithinAsync(Func<bool> exited, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        int pause = 1;
        while (!exited())
        {
            long left = deadline - Environment.TickCount64;
            if (left <= 0)
                return false;
            await Task.Delay((int)Math.Min(pause, left), cancellationToken).ConfigureAwait(false);
            pause = Math.Min(pause * 2, 50);
        }
        return true;
    }

    private static bool IsSameProcess(RegistryEntry entry) =>
        RegistryStore.ProcessState(entry.Identity) switch
        {
            ChildState.Running => true,
            ChildState.Gone => false,
            _ => throw new PermissionDeniedException(
                $"cannot read /proc/{entry.Pid} to check that pid {entry.Pid} is still '{entry.Name}'; run as its user or root"),
        };

    /// <summary>Reads a signalling call's result: false when the process exited before the signal reached it.</summary>
    private static bool Sent(int result, RegistryEntry entry)
    {
        if (result == 0)
            return true;
        int errno = Marshal.GetLastPInvokeError();
        return errno switch
        {
            Libc.ESRCH => false,
            Libc.EPERM => throw new PermissionDeniedException(
                $"not allowed to signal pid {entry.Pid} ('{entry.Name}'): it runs as another user; stop it as that user or as root"),
            _ => throw new OutliveIOException($"cannot signal pid {entry.Pid} ('{entry.Name}'): {Libc.StrError(errno)}"),
        };
    }
}

/// <summary>The child is stopped (or was gone), but its entry stays: the state dir could not be written.</summary>
internal sealed class EntryNotRemovedException(string message, Exception inner) : OutliveException(message, inner);
