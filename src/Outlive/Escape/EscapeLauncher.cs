using Outlive.Spawn;
using Outlive.Systemd;
using Outlive.Systemd.DBus;

namespace Outlive.Escape;

/// <summary>Carries out an <see cref="EscapePlan"/>: a setsid child, or a child in a transient unit of its own.</summary>
internal static class EscapeLauncher
{
    internal static async Task<LaunchedChild> StartAsync(DetachedStartInfo start, EscapeOptions escape, CancellationToken cancellationToken)
    {
        EscapePlan plan = await EscapePlanner.PlanAsync(escape, cancellationToken).ConfigureAwait(false);
        return await StartAsync(start, escape, plan, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<LaunchedChild> StartAsync(DetachedStartInfo start, EscapeOptions escape, EscapePlan plan, CancellationToken cancellationToken)
    {
        if (plan.Strategy == EscapeStrategy.Setsid)
        {
            SpawnedChild child = DetachedSpawn.Start(start);
            return new LaunchedChild(child.Pid, child.Identity, child.ExecutablePath, EscapeStrategy.Setsid, null, null, plan.Reason);
        }

        // A scope's child is held (its program not yet running) while managers are asked in turn.
        using HeldProcess? held = plan.Strategy == EscapeStrategy.Scope ? HeldProcess.Start(start) : null;
        var refusals = new List<OutliveException>();
        foreach (ManagerKind manager in plan.Managers)
        {
            try
            {
                DBusClient systemd = DBusClient.For(manager);
                if (held is not null)
                {
                    (SpawnedChild child, string scope) = await TransientUnitStart.ScopeAsync(systemd, held, start, escape, cancellationToken).ConfigureAwait(false);
                    return new LaunchedChild(child.Pid, child.Identity, child.ExecutablePath, EscapeStrategy.Scope, manager, scope, plan.Reason);
                }
                (int pid, string service) = await TransientUnitStart.ServiceAsync(systemd, start, escape, cancellationToken).ConfigureAwait(false);
                ProcessIdentity? identity = pid > 0 ? ProcessIdentity.TryCapture(pid) : null;
                return new LaunchedChild(pid, identity, start.Program, EscapeStrategy.Service, manager, service, plan.Reason);
            }
            catch (Exception e) when (e is PermissionDeniedException or SystemdUnavailableException)
            {
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
