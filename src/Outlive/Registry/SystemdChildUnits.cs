using Outlive.Interop;
using Outlive.Systemd;
using Outlive.Systemd.DBus;

namespace Outlive.Registry;

/// <summary>
/// The transient units of escaped children (scope, service), asked over D-Bus through the process's client of
/// each manager. A unit's state is its child's liveness: a service may run on under a new PID after a restart,
/// and its unit, not the PID, is what to stop.
/// </summary>
internal sealed class SystemdChildUnits
{
    private readonly Lock _lock = new();
    private readonly HashSet<ManagerKind> _unreachable = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, UnitStatus> _lastRunning = new(StringComparer.Ordinal);

    /// <summary>
    /// For <see cref="RegistryStore"/>'s unit-state hook: Running while the unit is active (or starting, stopping),
    /// Gone once it is inactive, failed or unloaded; null for setsid children and when systemd cannot be reached
    /// (then the registry decides by the process). A manager found unreachable is not asked again by this
    /// instance, so listing thousands of entries does not retry a dead bus for each.
    /// </summary>
    public async Task<ChildState?> StateOfAsync(RegistryEntry entry, CancellationToken cancellationToken)
    {
        if (entry.Unit is null)
            return null;
        ManagerKind manager = ManagerOf(entry);
        lock (_lock)
        {
            if (_unreachable.Contains(manager))
                return null;
        }
        try
        {
            UnitStatus? status = await DBusClient.For(manager).TryGetUnitStatusAsync(entry.Unit, cancellationToken).ConfigureAwait(false);
            if (status is not { IsRunning: true })
                return ChildState.Gone;
            _lastRunning[entry.Unit] = status;
            return ChildState.Running;
        }
        catch (PermissionDeniedException)
        {
            return ChildState.Unknown;
        }
        catch (SystemdUnavailableException)
        {
            lock (_lock)
                _unreachable.Add(manager);
            return null;
        }
    }

    /// <summary>
    /// Stops the child's unit. SIGTERM (the default) is systemd's own StopUnit (its KillSignal to every process in the
    /// unit). Another <paramref name="signal"/> is sent alone, with KillUnit to every process, and the unit is given
    /// <paramref name="timeout"/> to end by itself (a graceful request, such as nginx's QUIT, is not overridden). Only
    /// then, with <paramref name="killAfter"/>, is the unit stopped and SIGKILLed; without it the answer is StillRunning.
    /// </summary>
    public async Task<StopOutcome> StopAsync(RegistryEntry entry, int signal, TimeSpan timeout, bool killAfter, CancellationToken cancellationToken)
    {
        string unit = entry.Unit ?? throw new ArgumentException($"'{entry.Name}' runs in no unit", nameof(entry));
        DBusClient systemd = DBusClient.For(ManagerOf(entry));
        try
        {
            if (await systemd.TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false) is not { IsRunning: true })
                return StopOutcome.AlreadyGone;
            Task stop;
            if (signal == Libc.SIGTERM)
            {
                // The job may rightly take longer than one D-Bus call: as long as this stop is willing to wait.
                stop = systemd.StopUnitAsync(unit, cancellationToken, timeout + ChildStopper.KillWait + TimeSpan.FromSeconds(30));
                if (await FinishesWithinAsync(stop, timeout, cancellationToken).ConfigureAwait(false))
                    return StopOutcome.Stopped;
            }
            else
            {
                await systemd.KillUnitAsync(unit, signal, "all", cancellationToken).ConfigureAwait(false);
                if (await EndsWithinAsync(systemd, unit, timeout, cancellationToken).ConfigureAwait(false))
                    return StopOutcome.Stopped;
                if (!killAfter)
                    return StopOutcome.StillRunning;
                stop = systemd.StopUnitAsync(unit, cancellationToken, ChildStopper.KillWait + TimeSpan.FromSeconds(30));
            }
            if (!killAfter)
                return StopOutcome.StillRunning;
            await systemd.KillUnitAsync(unit, Libc.SIGKILL, "all", cancellationToken).ConfigureAwait(false);
            return await FinishesWithinAsync(stop, ChildStopper.KillWait, cancellationToken).ConfigureAwait(false) ? StopOutcome.Killed : StopOutcome.StillRunning;
        }
        catch (SystemdRequestRejectedException e) when (e.ErrorName == SystemdErrors.NoSuchUnit)
        {
            return StopOutcome.AlreadyGone; // it ended and was unloaded while we asked
        }
    }

    /// <summary>Polls the unit until it is no longer running (or gone); false when <paramref name="timeout"/> runs out first.</summary>
    private static async Task<bool> EndsWithinAsync(DBusClient systemd, string unit, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (await systemd.TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false) is { IsRunning: true })
        {
            if (Environment.TickCount64 >= deadline)
                return false;
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>
    /// How a gone service child's program ended, as systemd recorded it (ExecMainCode/ExecMainStatus): its failed unit
    /// stays loaded until it is pruned. Null when that is not known (a setsid or scope child, a clean exit whose unit
    /// was collected, or systemd out of reach).
    /// </summary>
    public async Task<ExitStatus?> ExitOfAsync(RegistryEntry entry, CancellationToken cancellationToken)
    {
        if (entry.Strategy != EscapeStrategy.Service || entry.Unit is null)
            return null;
        try
        {
            UnitStatus? status = await DBusClient.For(ManagerOf(entry)).TryGetUnitStatusAsync(entry.Unit, cancellationToken).ConfigureAwait(false);
            return status is { IsRunning: false } ? status.MainExit : null;
        }
        catch (Exception e) when (e is SystemdUnavailableException or PermissionDeniedException)
        {
            return null;
        }
    }

    /// <summary>Only a gone service child's unit may hold an exit status (<see cref="ExitOfAsync"/>).</summary>
    public static bool MayHaveExitStatus(RegistryEntry entry, ChildState state) =>
        state == ChildState.Gone && entry.Strategy == EscapeStrategy.Service && entry.Unit is not null;

    /// <summary>
    /// The processes that now stand for a running unit child, from the status <see cref="StateOfAsync"/> just read: the
    /// first process of a scope may have exited while its forks live on (tmux, a double fork), and a service may have
    /// been restarted under a new PID. The unit's main process when it has a live one, else its lowest PID; null when
    /// the unit was not found running.
    /// </summary>
    public (int Pid, int Count)? ProcessesOf(RegistryEntry entry)
    {
        if (entry.Unit is null || !_lastRunning.TryGetValue(entry.Unit, out UnitStatus? status) || status.ControlGroup is not { } cgroup)
            return null;
        IReadOnlyList<int> pids = ProcCgroup.ProcessesIn(cgroup);
        if (pids.Count == 0)
            return null;
        int pid = status.MainPid is > 0 and var main && pids.Contains((int)main) ? (int)main : pids[0];
        return (pid, pids.Count);
    }

    /// <summary>Lets systemd collect a pruned service child's failed unit (kept loaded so its exit status could be read).</summary>
    public async Task ForgetUnitAsync(RegistryEntry entry, CancellationToken cancellationToken)
    {
        if (entry.Strategy != EscapeStrategy.Service || entry.Unit is null)
            return;
        try
        {
            await DBusClient.For(ManagerOf(entry)).ResetFailedUnitAsync(entry.Unit, cancellationToken).ConfigureAwait(false);
        }
        catch (OutliveException)
        {
            // Not failed, already collected, or systemd out of reach: nothing to tidy.
        }
    }

    /// <summary>The manager recorded in the entry; entries written before it was recorded: root's are system, others user.</summary>
    public static ManagerKind ManagerOf(RegistryEntry entry) =>
        entry.Manager ?? (entry.StartedByUid == 0 ? ManagerKind.System : ManagerKind.User);

    private static async Task<bool> FinishesWithinAsync(Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (await Task.WhenAny(task, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false) != task)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return false;
        }
        await task.ConfigureAwait(false); // a failed stop job throws here
        return true;
    }
}
