using Outlive.Interop;
using Outlive.Systemd;
using Outlive.Systemd.DBus;
using Outlive.Systemd.Escape;

namespace Outlive.Registry;

/// <summary>
/// The transient units of escaped children (scope, service), asked over D-Bus. A unit's state is its child's
/// liveness: a service may run on under a new PID after a restart, and its unit, not the PID, is what to stop.
/// Uses the process's shared connection per manager (the one <see cref="Launcher"/> uses too).
/// </summary>
public sealed class SystemdChildUnits
{
    private readonly HashSet<ManagerKind> _unreachable = [];
    private readonly Lock _connecting = new();

    /// <summary>
    /// For <see cref="ChildRegistry"/>'s unitState hook: Running while the unit is active (or starting, stopping),
    /// Gone once it is inactive, failed or unloaded; null for setsid children and when systemd cannot be reached
    /// (then the registry decides by the process).
    /// </summary>
    public ChildState? StateOf(RegistryEntry entry)
    {
        if (entry.Unit is null)
            return null;
        try
        {
            SystemdManager? systemd = TryConnect(ManagerOf(entry));
            if (systemd is null)
                return null;
            UnitStatus? status = systemd.TryGetUnitStatusAsync(entry.Unit).GetAwaiter().GetResult();
            return status is { IsRunning: true } ? ChildState.Running : ChildState.Gone;
        }
        catch (SystemdPermissionDeniedException)
        {
            return ChildState.Unknown;
        }
        catch (SystemdUnavailableException)
        {
            return null;
        }
    }

    /// <summary>
    /// Stops the child's unit with systemd's StopUnit (its KillSignal, SIGTERM by default, to every process in it);
    /// another <paramref name="signal"/> is sent to all of them first with KillUnit. After <paramref name="timeout"/>,
    /// SIGKILL if <paramref name="killAfter"/>; else StillRunning, and systemd's stop job goes on to the unit's TimeoutStopSec.
    /// </summary>
    public async Task<StopOutcome> StopAsync(RegistryEntry entry, int signal, TimeSpan timeout, bool killAfter, CancellationToken cancellationToken = default)
    {
        string unit = entry.Unit ?? throw new ArgumentException($"'{entry.Name}' runs in no unit", nameof(entry));
        SystemdManager systemd = TryConnect(ManagerOf(entry))
            ?? throw new SystemdUnavailableException($"cannot reach the {ManagerOf(entry).ToString().ToLowerInvariant()} systemd manager to stop {unit}");
        try
        {
            if (await systemd.TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false) is not { IsRunning: true })
                return StopOutcome.AlreadyGone;
            if (signal != Libc.SIGTERM)
                await systemd.KillUnitAsync(unit, signal, "all", cancellationToken).ConfigureAwait(false);
            Task stop = systemd.StopUnitAsync(unit, cancellationToken);
            if (await FinishesWithin(stop, timeout).ConfigureAwait(false))
                return StopOutcome.Stopped;
            if (!killAfter)
                return StopOutcome.StillRunning;
            await systemd.KillUnitAsync(unit, Libc.SIGKILL, "all", cancellationToken).ConfigureAwait(false);
            return await FinishesWithin(stop, ChildStopper.KillWait).ConfigureAwait(false) ? StopOutcome.Killed : StopOutcome.StillRunning;
        }
        catch (SystemdRequestRejectedException e) when (e.ErrorName == SystemdErrors.NoSuchUnit)
        {
            return StopOutcome.AlreadyGone; // it ended and was unloaded while we asked
        }
    }

    /// <summary>The manager recorded in the entry; entries written before it was recorded: root's are system, others user.</summary>
    public static ManagerKind ManagerOf(RegistryEntry entry) => entry.Manager switch
    {
        "system" => ManagerKind.System,
        "user" => ManagerKind.User,
        _ => entry.StartedByUid == 0 ? ManagerKind.System : ManagerKind.User,
    };

    private static async Task<bool> FinishesWithin(Task task, TimeSpan timeout)
    {
        if (await Task.WhenAny(task, Task.Delay(timeout)).ConfigureAwait(false) != task)
            return false;
        await task.ConfigureAwait(false); // a failed stop job throws here
        return true;
    }

    /// <summary>
    /// Thread-safe: the registry asks for many units at once. A manager found unreachable is not asked again
    /// by this instance, so listing thousands of entries does not retry a dead bus for each.
    /// </summary>
    private SystemdManager? TryConnect(ManagerKind kind)
    {
        lock (_connecting)
        {
            if (_unreachable.Contains(kind))
                return null;
            try
            {
                return ManagerConnections.GetAsync(SystemdBus.For(kind), CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (SystemdUnavailableException)
            {
                _unreachable.Add(kind);
                return null;
            }
        }
    }
}
