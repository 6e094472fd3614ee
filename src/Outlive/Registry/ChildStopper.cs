using System.Runtime.InteropServices;
using Outlive.Interop;

namespace Outlive.Registry;

public enum StopOutcome
{
    /// <summary>It exited after the signal, within the timeout.</summary>
    Stopped,
    /// <summary>It outlived the timeout and was SIGKILLed.</summary>
    Killed,
    /// <summary>It still runs (no kill was asked for, or even SIGKILL did not end it in time); the entry is kept.</summary>
    StillRunning,
    /// <summary>It had exited already (or its PID names another process now); nothing was signalled.</summary>
    AlreadyGone,
}

public sealed record StopResult(RegistryEntry Entry, StopOutcome Outcome);

/// <summary>
/// Stops registered children without ever signalling a recycled PID: the identity (pid + start time + boot id)
/// is checked again after pidfd_open, when the pidfd pins the process, and every signal goes through that pidfd.
/// Children escaped into a systemd unit are stopped through <paramref name="units"/> when given: their unit, not their PID.
/// </summary>
public sealed class ChildStopper(ChildRegistry registry, SystemdChildUnits? units = null)
{
    /// <summary>How long to wait for a SIGKILLed process to be gone.</summary>
    public static readonly TimeSpan KillWait = TimeSpan.FromSeconds(5);

    /// <summary>Looks the child up by name or PID (<see cref="ChildNotFoundException"/>) and stops it.</summary>
    public StopResult Stop(string nameOrPid, int signal, TimeSpan timeout, bool killAfter) =>
        Stop(registry.Find(nameOrPid), signal, timeout, killAfter);

    /// <summary>
    /// Sends <paramref name="signal"/>, waits up to <paramref name="timeout"/> for the exit, then SIGKILL if
    /// <paramref name="killAfter"/>. Once the child is gone its entry and PID file are removed.
    /// </summary>
    public StopResult Stop(RegistryEntry entry, int signal, TimeSpan timeout, bool killAfter)
    {
        var outcome = SignalAndWait(entry, signal, timeout, killAfter);
        if (outcome != StopOutcome.StillRunning)
            registry.Remove(entry);
        return new StopResult(entry, outcome);
    }

    /// <summary>
    /// Like <see cref="Stop(RegistryEntry, int, TimeSpan, bool)"/>, but a child in a unit is stopped by stopping the
    /// unit (a service with Restart= would otherwise come back under a new PID).
    /// </summary>
    public async Task<StopResult> StopAsync(RegistryEntry entry, int signal, TimeSpan timeout, bool killAfter, CancellationToken cancellationToken = default)
    {
        if (entry.Unit is null || units is null)
            return Stop(entry, signal, timeout, killAfter);
        var outcome = await units.StopAsync(entry, signal, timeout, killAfter, cancellationToken).ConfigureAwait(false);
        if (outcome != StopOutcome.StillRunning)
            registry.Remove(entry);
        return new StopResult(entry, outcome);
    }

    private static StopOutcome SignalAndWait(RegistryEntry entry, int signal, TimeSpan timeout, bool killAfter)
    {
        if (!IsSameProcess(entry))
            return StopOutcome.AlreadyGone;
        using var pidfd = Libc.pidfd_open(entry.Pid, 0);
        if (pidfd.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == Libc.ESRCH ? StopOutcome.AlreadyGone : throw new IOException($"pidfd_open({entry.Pid}) failed: {Libc.StrError(errno)}");
        }
        // The PID may have been reused between the first check and pidfd_open; from now on it cannot be.
        if (!IsSameProcess(entry) || !Send(pidfd, signal, entry))
            return StopOutcome.AlreadyGone;
        if (Libc.WaitReadable(pidfd.Fd, timeout))
            return StopOutcome.Stopped;
        if (!killAfter)
            return StopOutcome.StillRunning;
        if (!Send(pidfd, Libc.SIGKILL, entry))
            return StopOutcome.Stopped;
        return Libc.WaitReadable(pidfd.Fd, KillWait) ? StopOutcome.Killed : StopOutcome.StillRunning;
    }

    private static bool IsSameProcess(RegistryEntry entry) =>
        ChildRegistry.ProcessState(entry.Identity) switch
        {
            ChildState.Running => true,
            ChildState.Gone => false,
            _ => throw new ChildStateUnknownException(
                $"cannot read /proc/{entry.Pid} to check that pid {entry.Pid} is still '{entry.Name}'; run as its user or root"),
        };

    /// <summary>False when the process exited before the signal reached it.</summary>
    private static bool Send(SafePidFdHandle pidfd, int signal, RegistryEntry entry)
    {
        if (Libc.pidfd_send_signal(pidfd, signal, 0, 0) == 0)
            return true;
        int errno = Marshal.GetLastPInvokeError();
        return errno switch
        {
            Libc.ESRCH => false,
            Libc.EPERM => throw new RegistryPermissionException(
                $"not allowed to signal pid {entry.Pid} ('{entry.Name}'): it runs as another user; stop it as that user or as root"),
            _ => throw new IOException($"cannot signal pid {entry.Pid} ('{entry.Name}'): {Libc.StrError(errno)}"),
        };
    }
}
