using Outlive.Spawn;
using Outlive.Systemd;
using Outlive.Systemd.DBus;
using Outlive.Systemd.Escape;

namespace Outlive;

/// <summary>What was started, where, and why there.</summary>
/// <param name="Pid">The child's pid (0 for a service whose program already exited).</param>
/// <param name="Identity">Pid + start time + boot id; null when the child was already gone.</param>
/// <param name="ExecutablePath">The file that runs (for a service: as named; systemd looks it up).</param>
/// <param name="Strategy">How it escaped.</param>
/// <param name="Manager">The systemd manager that owns its unit, for scope and service.</param>
/// <param name="Unit">The transient unit the child lives in (scope/service), else null.</param>
/// <param name="Reason">One line: why this strategy.</param>
public sealed record LaunchedChild(
    int Pid,
    ProcessIdentity? Identity,
    string ExecutablePath,
    EscapeStrategy Strategy,
    ManagerKind? Manager,
    string? Unit,
    string Reason);

/// <summary>
/// Outlive's front door: starts a detached child and, where the caller's systemd unit would kill it,
/// puts it in a transient unit of its own first.
/// </summary>
public static class Launcher
{
    public static async Task<LaunchedChild> StartAsync(DetachedStartInfo start, EscapeOptions? escape = null, CancellationToken cancellationToken = default)
    {
        escape ??= new EscapeOptions();
        EscapePlan plan = await EscapePlanner.PlanAsync(escape, cancellationToken).ConfigureAwait(false);
        return await StartAsync(start, escape, plan, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Carries out a plan made by <see cref="EscapePlanner"/>.</summary>
    public static async Task<LaunchedChild> StartAsync(DetachedStartInfo start, EscapeOptions escape, EscapePlan plan, CancellationToken cancellationToken = default)
    {
        if (plan.Strategy == EscapeStrategy.Setsid)
        {
            DetachedProcess child = DetachedProcess.Start(start);
            return new LaunchedChild(child.Pid, child.Identity, child.ExecutablePath, EscapeStrategy.Setsid, null, null, plan.Reason);
        }

        // A scope's child is held (its program not yet running) while managers are asked in turn.
        using HeldProcess? held = plan.Strategy == EscapeStrategy.Scope ? HeldProcess.Start(start) : null;
        var refusals = new List<OutliveException>();
        foreach (ManagerKind manager in plan.Managers)
        {
            SystemdBus? bus = null;
            SystemdManager? systemd = null;
            try
            {
                bus = SystemdBus.For(manager);
                systemd = await ManagerConnections.GetAsync(bus, cancellationToken).ConfigureAwait(false);
                if (held is not null)
                {
                    (DetachedProcess child, string scope) = await TransientUnitStart.ScopeAsync(systemd, held, start, escape, cancellationToken).ConfigureAwait(false);
                    return new LaunchedChild(child.Pid, child.Identity, child.ExecutablePath, EscapeStrategy.Scope, manager, scope, plan.Reason);
                }
                (int pid, string service) = await TransientUnitStart.ServiceAsync(systemd, start, escape, cancellationToken).ConfigureAwait(false);
                ProcessIdentity? identity = pid > 0 ? ProcessIdentity.TryCapture(pid) : null;
                return new LaunchedChild(pid, identity, start.Program, EscapeStrategy.Service, manager, service, plan.Reason);
            }
            catch (Exception e) when (e is SystemdPermissionDeniedException or SystemdUnavailableException)
            {
                if (e is SystemdUnavailableException && bus is not null && systemd is not null)
                    ManagerConnections.Forget(bus, systemd);
                refusals.Add((OutliveException)e);
            }
        }
        // Asked for by name: say what systemd said. Chosen by auto: no strategy is left that keeps it alive.
        if (plan.Requested != EscapeStrategy.Auto)
            throw refusals[0];
        string unit = plan.Caller?.Unit ?? "this unit";
        throw new EscapeRefusedException(
            $"nothing started: {unit} (KillMode={(plan.CallerKillMode ?? KillMode.ControlGroup).ToSystemdString()}) would kill the child, and no transient unit could be made for it " +
            $"({string.Join("; ", refusals.Select(r => r.Message.TrimEnd('.')))}); fix: 'outlive fix-unit {unit}' (KillMode=process), " +
            "or a polkit rule that allows this user org.freedesktop.systemd1.manage-units");
    }
}
