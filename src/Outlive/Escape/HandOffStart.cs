using System.Globalization;
using Outlive.Systemd;
using Outlive.Systemd.DBus;

namespace Outlive.Escape;

/// <summary>
/// The self-update handoff: an updater that must outlive a stop of the caller's own unit, told which unit and which PID
/// it replaces, then (if asked) a restart of that unit queued in systemd.
/// </summary>
internal static class HandOffStart
{
    internal static async Task<HandOffResult> StartAsync(DetachedStartInfo updater, HandOff then, CancellationToken cancellationToken)
    {
        // Always a scope (below), whatever the unit's KillMode: only its name and manager are needed.
        Residence home = await EscapePlanner.ReadHomeAsync(OwnUnitFacts.None, cancellationToken).ConfigureAwait(false);
        // Only a unit of the caller's own manager is the updater's business; a login session is not stopped and started.
        string? unit = home.Kind is ResidenceKind.SystemUnit or ResidenceKind.UserUnit ? home.Unit : null;
        ManagerKind? manager = unit is null ? null : home.Placement!.Manager;

        var environment = new Dictionary<string, string>(updater.SetEnvironment)
        {
            [HandOffResult.PidVariable] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
        };
        if (unit is not null)
        {
            environment[HandOffResult.UnitVariable] = unit;
            environment[HandOffResult.ManagerVariable] = manager == ManagerKind.User ? "user" : "system";
        }
        // A caller that was itself handed off must not pass its own caller's unit on.
        DetachedStartInfo start = updater with
        {
            SetEnvironment = environment,
            RemoveEnvironment = [.. updater.RemoveEnvironment, HandOffResult.UnitVariable, HandOffResult.ManagerVariable],
        };

        // Under systemd always a scope, even where setsid would live (KillMode=process): a process left in the unit's
        // cgroup is a "left-over process" when the unit starts again, and is killed by the next stop.
        var escape = new EscapeOptions { Strategy = home.Kind == ResidenceKind.NoSystemd ? EscapeStrategy.Setsid : EscapeStrategy.Scope };
        EscapePlan plan = EscapePlanner.Decide(escape, home);
        LaunchedChild child = await EscapeLauncher.StartAsync(start, escape, plan, steps: null, cancellationToken).ConfigureAwait(false);
        string started = child.Unit is { } scope ? $"the updater runs in {scope}" : $"the updater is a setsid child ({plan.Reason})";

        if (then != HandOff.RestartOwnUnit)
            return new HandOffResult(child, unit, manager, null, started);
        if (unit is null)
        {
            string none = home.Kind == ResidenceKind.NoSystemd ? "no systemd" : home.Unit is { } session ? $"{session} is a login session" : "not in a unit";
            return new HandOffResult(child, null, null, null, $"{started}; no restart queued: {none}, so there is no unit of its own to restart");
        }
        try
        {
            string job = await DBusClient.For(Residence.BusOf(home.Placement!, home.Uid)).QueueRestartUnitAsync(unit, cancellationToken).ConfigureAwait(false);
            return new HandOffResult(child, unit, manager, job, $"{started}; a restart of {unit} is queued ({job})");
        }
        catch (OutliveException e)
        {
            // The updater already runs: it is the caller's to know about, so the failure is reported, not thrown.
            return new HandOffResult(child, unit, manager, null, $"{started}; no restart queued: {e.Message}");
        }
    }
}
