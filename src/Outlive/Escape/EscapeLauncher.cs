using Outlive.Spawn;
using Outlive.Systemd;
using Outlive.Systemd.DBus;

namespace Outlive.Escape;

/// <summary>Carries out an <see cref="EscapePlan"/>: a setsid child, or a child in a transient unit of its own.</summary>
internal static class EscapeLauncher
{
    internal static async Task<LaunchedChild> StartAsync(DetachedStartInfo start, EscapeOptions escape, IStartSteps? steps, CancellationToken cancellationToken)
    {
        EscapePlan plan = await EscapePlanner.PlanAsync(escape, cancellationToken).ConfigureAwait(false);
        return await StartAsync(start, escape, plan, steps, cancellationToken).ConfigureAwait(false);
    }

    /// <param name="steps">
    /// A registered start's steps: the child is then held until <see cref="IStartSteps.ChildReadyAsync"/> returns.
    /// Null for a bare start: a setsid child is spawned straight away (the primitive stays gate-free and fast).
    /// </param>
    internal static async Task<LaunchedChild> StartAsync(
        DetachedStartInfo start, EscapeOptions escape, EscapePlan plan, IStartSteps? steps, CancellationToken cancellationToken)
    {
        CheckOptions(escape, plan);
        if (plan.Strategy == EscapeStrategy.Setsid && steps is null)
        {
            SpawnedChild child = DetachedSpawn.Start(start);
            return new LaunchedChild(child.Pid, child.Identity, child.ExecutablePath, EscapeStrategy.Setsid, null, null, plan.Reason);
        }
        if (plan.Strategy == EscapeStrategy.Service)
            return await StartServiceAsync(start, escape, plan, steps, cancellationToken).ConfigureAwait(false);

        // Connecting to the first manager and subscribing to its job signals are round trips that need not wait for the
        // held child: begun first, awaited before the scope is asked for.
        Task? connecting = null;
        if (plan.Strategy == EscapeStrategy.Scope && plan.Managers.Count > 0)
        {
            connecting = DBusClient.For(plan.Managers[0]).ConnectForJobsAsync(cancellationToken);
            DBusClient.ObserveFailure(connecting); // a start that fails before the await leaves it unawaited
        }
        // Held: the program does not run until the child is in its scope and registered. Disposing the held child
        // before Release (an error, a cancellation) makes it exit without ever running its program.
        using HeldProcess held = HeldProcess.Start(start);
        await FaultPoint.HitAsync("held", cancellationToken).ConfigureAwait(false);
        LaunchedChild ready;
        if (plan.Strategy == EscapeStrategy.Setsid)
        {
            ready = new LaunchedChild(held.Pid, held.Identity, held.ExecutablePath, EscapeStrategy.Setsid, null, null, plan.Reason);
        }
        else
        {
            IReadOnlyList<UnitProperty> extra = await TransientUnitStart.ExtraPropertiesAsync(escape, plan, cancellationToken).ConfigureAwait(false);
            (ManagerKind manager, string scope) = await FirstManagerThatAcceptsAsync(plan, start, escape, steps, async (systemd, unit) =>
                await TransientUnitStart.ScopeAsync(systemd, unit, [held.Pid], TransientUnitStart.Describe(start), escape, extra, cancellationToken).ConfigureAwait(false),
                connecting, cancellationToken).ConfigureAwait(false);
            await FaultPoint.HitAsync("unit-started", cancellationToken).ConfigureAwait(false);
            ready = new LaunchedChild(held.Pid, held.Identity, held.ExecutablePath, EscapeStrategy.Scope, manager, scope, plan.Reason);
        }
        if (steps is not null)
            await steps.ChildReadyAsync(ready).ConfigureAwait(false);
        held.Release();
        // The program runs from here on: nothing may undo the start any more.
        await FaultPoint.HitAsync("released", CancellationToken.None).ConfigureAwait(false);
        return ready;
    }

    /// <summary>Options that would do nothing for the strategy are refused, not silently dropped.</summary>
    internal static void CheckOptions(EscapeOptions escape, EscapePlan plan)
    {
        if (escape.Restart is not null && plan.Strategy != EscapeStrategy.Service)
            throw new ArgumentException($"a restart policy (--restart) applies to a transient service only (--escape service), and this child gets {Words.Of(plan.Strategy)}");
        if (plan.Strategy == EscapeStrategy.Setsid)
        {
            string? unitOption = escape.Slice is not null ? "a slice (--slice)"
                : escape.UnitName is not null ? "a unit name (--unit)"
                : escape.Description is not null ? "a description (--description)"
                : escape.Properties.Count > 0 ? "unit properties (-p)"
                : escape.InheritLimits ? "--inherit-limits"
                : escape.Manager is not null ? "a manager (--user, --system)"
                : null;
            if (unitOption is not null)
                throw new ArgumentException($"{unitOption} applies to a transient unit, and this child gets none: {plan.Reason}");
            return;
        }
        foreach (string assignment in escape.Properties)
            PropertyAssignment.From(assignment);
        if (escape.UnitName is { } name)
            TransientUnitStart.ExactUnitName(name, plan.Strategy);
        if (escape.InheritLimits && plan.Home.Unit is null)
            throw new ArgumentException("--inherit-limits copies the limits of the caller's unit, and this process runs in no unit");
    }

    /// <summary>
    /// systemd starts a service's program itself, so it cannot be held: if registering it fails, its unit is stopped,
    /// and a start interrupted before registration is finished or undone from its reservation.
    /// </summary>
    private static async Task<LaunchedChild> StartServiceAsync(
        DetachedStartInfo start, EscapeOptions escape, EscapePlan plan, IStartSteps? steps, CancellationToken cancellationToken)
    {
        UnitStatus? status = null;
        IReadOnlyList<UnitProperty> extra = await TransientUnitStart.ExtraPropertiesAsync(escape, plan, cancellationToken).ConfigureAwait(false);
        (ManagerKind manager, string service) = await FirstManagerThatAcceptsAsync(plan, start, escape, steps, async (systemd, unit) =>
            status = await TransientUnitStart.ServiceAsync(systemd, unit, start, escape, extra, cancellationToken).ConfigureAwait(false),
            firstConnecting: null, cancellationToken).ConfigureAwait(false);
        DBusClient owner = DBusClient.For(manager);
        if (status is not { MainPid: > 0 and var mainPid } || ProcessIdentity.TryCapture((int)mainPid) is not { } identity)
            throw await ExitedAtOnceAsync(owner, service, status, steps, cancellationToken).ConfigureAwait(false);
        var child = new LaunchedChild((int)mainPid, identity, start.Program, EscapeStrategy.Service, manager, service, plan.Reason);
        try
        {
            await FaultPoint.HitAsync("unit-started", cancellationToken).ConfigureAwait(false);
            if (steps is not null)
                await steps.ChildReadyAsync(child).ConfigureAwait(false);
        }
        catch
        {
            // Not registered: the unit goes, with every process in it.
            await StopQuietlyAsync(owner, service, steps).ConfigureAwait(false);
            throw;
        }
        return child;
    }

    /// <summary>
    /// Asks the plan's managers in turn; <paramref name="startUnit"/> starts the unit on one. A manager that refuses
    /// (polkit) or cannot be reached is skipped; a unit started and then abandoned (cancelled) is stopped.
    /// <paramref name="firstConnecting"/>: the first manager's <see cref="DBusClient.ConnectForJobsAsync"/>, when already begun.
    /// </summary>
    private static async Task<(ManagerKind Manager, string Unit)> FirstManagerThatAcceptsAsync(
        EscapePlan plan, DetachedStartInfo start, EscapeOptions escape, IStartSteps? steps, Func<DBusClient, string, Task> startUnit,
        Task? firstConnecting, CancellationToken cancellationToken)
    {
        var refusals = new List<OutliveException>();
        string type = plan.Strategy == EscapeStrategy.Scope ? "scope" : "service";
        for (int i = 0; i < plan.Managers.Count; i++)
        {
            ManagerKind manager = plan.Managers[i];
            string unit = TransientUnitStart.UnitNameFor(start, escape, type);
            DBusClient systemd = DBusClient.For(manager);
            try
            {
                // A manager that cannot be reached is skipped before anything is asked of it.
                await (i == 0 && firstConnecting is not null ? firstConnecting : systemd.ConnectForJobsAsync(cancellationToken)).ConfigureAwait(false);
            }
            catch (SystemdUnavailableException e)
            {
                refusals.Add(e);
                continue;
            }
            if (steps is not null)
                await steps.UnitPlannedAsync(unit, manager, plan.Strategy).ConfigureAwait(false);
            try
            {
                await FaultPoint.HitAsync("planned", cancellationToken).ConfigureAwait(false);
                await startUnit(systemd, unit).ConfigureAwait(false);
                return (manager, unit);
            }
            catch (PermissionDeniedException e)
            {
                refusals.Add(e); // polkit said no: nothing was started there
            }
            catch (Exception e) when (e is OperationCanceledException or OutliveException)
            {
                // The request may have reached systemd (a lost reply, a job that outlasted the wait, a cancellation):
                // the unit must not live on unregistered, and asking another manager could start the program twice.
                await StopQuietlyAsync(systemd, unit, steps).ConfigureAwait(false);
                throw;
            }
        }
        // Asked for by name: say what systemd said. Chosen by auto: no strategy is left that keeps it alive.
        if (plan.Requested != EscapeStrategy.Auto)
            throw refusals[0];
        throw new EscapeRefusedException(EscapePlanner.NothingLives(plan.Home, [.. refusals.Select(r => r.Message)]));
    }

    /// <summary>
    /// The error for a service whose program exited before it could be looked at, with the status systemd kept. A unit
    /// still "running" has Restart= bringing the program back: it is stopped, since it would run on unregistered.
    /// </summary>
    private static async Task<OutliveException> ExitedAtOnceAsync(
        DBusClient systemd, string unit, UnitStatus? status, IStartSteps? steps, CancellationToken cancellationToken)
    {
        status = await systemd.TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false) ?? status;
        if (status is { IsRunning: true })
            await StopQuietlyAsync(systemd, unit, steps).ConfigureAwait(false);
        ExitStatus? exit = status is { IsRunning: true } or { ActiveState: "failed" } ? status.MainExit : null;
        if (status is { IsRunning: true } or { ActiveState: "failed" })
            await ResetQuietlyAsync(systemd, unit).ConfigureAwait(false);
        return new ServiceExitedException(unit, exit, restarting: status is { IsRunning: true });
    }

    /// <summary>
    /// Stops a unit this start asked for and will not register. When that fails, the start's reservation is left
    /// behind as an interrupted one (<see cref="IStartSteps.UnitAbandoned"/>), so the next run, ps or prune deals with it.
    /// </summary>
    private static async Task StopQuietlyAsync(DBusClient systemd, string unit, IStartSteps? steps)
    {
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await systemd.StopUnitAsync(unit, limit.Token).ConfigureAwait(false);
        }
        catch (SystemdRequestRejectedException e) when (e.ErrorName == SystemdErrors.NoSuchUnit)
        {
            // Never started, or already gone.
        }
        catch (Exception e) when (e is OutliveException or OperationCanceledException)
        {
            steps?.UnitAbandoned(unit);
        }
    }

    private static async Task ResetQuietlyAsync(DBusClient systemd, string unit)
    {
        try
        {
            await systemd.ResetFailedUnitAsync(unit, CancellationToken.None).ConfigureAwait(false);
        }
        catch (OutliveException)
        {
            // Only tidiness: a failed transient unit left loaded does no harm.
        }
    }
}

/// <summary>
/// A service's program exited right after systemd started it; <see cref="Exit"/> is what systemd recorded
/// (null: it exited cleanly and its unit was collected, so there is no status to read).
/// </summary>
internal sealed class ServiceExitedException(string unit, ExitStatus? exit, bool restarting = false)
    : ChildStartException(
        restarting
            ? $"{unit}: the program {(exit is { } s ? s.ToString() : "exited")} right after it started and systemd was restarting it (Restart=): stopped; see journalctl -u {unit}"
            : exit is { } status
            ? $"{unit}: the program {status} right after it started (systemd's ExecMainStatus); see journalctl -u {unit}. A program that forks into the background and exits belongs in a scope: --escape scope"
            : $"{unit}: the program exited successfully right after it started, leaving nothing running; a program that forks into the background belongs in a scope: --escape scope",
        0)
{
    public ExitStatus? Exit { get; } = exit;
}
