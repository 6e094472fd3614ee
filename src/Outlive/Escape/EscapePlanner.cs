using Outlive.Systemd;
using Outlive.Systemd.DBus;

namespace Outlive.Escape;

/// <summary>Decides how a child started from this process escapes, from where this process runs.</summary>
internal static class EscapePlanner
{
    /// <summary>Reads the facts (init, own cgroup, own unit's KillMode over D-Bus) and decides.</summary>
    public static async Task<EscapePlan> PlanAsync(EscapeOptions options, CancellationToken cancellationToken = default)
    {
        bool booted = SystemdInit.IsBooted();
        UnitPlacement? caller = booted ? UnitPlacement.TryRead(Environment.ProcessId) : null;
        KillMode? killMode = caller?.Unit is { } unit ? await TryReadKillModeAsync(caller.Manager, unit, cancellationToken).ConfigureAwait(false) : null;
        return Decide(options, booted, caller, killMode, Environment.IsPrivilegedProcess, UserBusReachable());
    }

    /// <summary>
    /// The decision itself, free of I/O. A null <paramref name="killMode"/> (unreadable) counts as
    /// control-group, systemd's default.
    /// </summary>
    public static EscapePlan Decide(EscapeOptions options, bool systemdBooted, UnitPlacement? caller, KillMode? killMode, bool isRoot, bool userBusReachable)
    {
        EscapeStrategy requested = options.Strategy;
        if (!systemdBooted)
        {
            if (requested is EscapeStrategy.Scope or EscapeStrategy.Service)
                throw new SystemdUnavailableException($"--escape {Words.Of(requested)} needs systemd, and systemd is not the init here (no /run/systemd/system): use --escape setsid");
            return Plan(EscapeStrategy.Setsid, "not under systemd (no /run/systemd/system): setsid is enough");
        }

        string? unit = caller?.Unit;
        bool unitKillsChildren = unit is not null && !IsRootUnit(caller!) && killMode is not (KillMode.Process or KillMode.None);
        string effectiveKillMode = (killMode ?? KillMode.ControlGroup).ToSystemdString();
        IReadOnlyList<ManagerKind> managers = ManagersFor(caller, isRoot, userBusReachable);

        switch (requested)
        {
            case EscapeStrategy.Setsid when unitKillsChildren && !options.Force:
                throw new EscapeRefusedException(
                    $"{unit} has KillMode={effectiveKillMode}: a setsid child dies when it stops, restarts or its main process dies; " +
                    $"use --escape scope, run 'outlive fix-unit {unit}', or add --force to start it anyway");
            case EscapeStrategy.Setsid:
                return Plan(EscapeStrategy.Setsid, unitKillsChildren
                    ? $"forced: {unit} has KillMode={effectiveKillMode} and will kill this child when it stops"
                    : SetsidReason(unit, killMode));
            case EscapeStrategy.Scope or EscapeStrategy.Service:
                return Plan(requested, $"asked for a transient {Words.Of(requested)}", managers);
            default:
                if (!unitKillsChildren)
                    return Plan(EscapeStrategy.Setsid, SetsidReason(unit, killMode));
                return Plan(EscapeStrategy.Scope,
                    $"{unit} has KillMode={effectiveKillMode}, which kills every process in its cgroup: the child gets its own scope",
                    managers);
        }

        EscapePlan Plan(EscapeStrategy strategy, string reason, IReadOnlyList<ManagerKind>? via = null) =>
            new(strategy, requested, via ?? [], reason, caller, killMode);
    }

    /// <summary>
    /// Root asks the manager of its own unit. A non-root process under the system manager needs polkit's
    /// yes there; its own user manager (if it runs) needs none, and a unit there is outside the service too.
    /// </summary>
    private static IReadOnlyList<ManagerKind> ManagersFor(UnitPlacement? caller, bool isRoot, bool userBusReachable)
    {
        if (caller?.Manager == ManagerKind.User)
            return [ManagerKind.User];
        if (isRoot || !userBusReachable)
            return [ManagerKind.System];
        return [ManagerKind.System, ManagerKind.User];
    }

    private static string SetsidReason(string? unit, KillMode? killMode) => unit is null
        ? "not inside a unit that systemd stops: setsid is enough"
        : $"{unit} has KillMode={killMode?.ToSystemdString()}: systemd signals only its main process, so a setsid child survives stop, restart and a crash";

    /// <summary>init.scope (PID 1 itself) and the root are never stopped.</summary>
    private static bool IsRootUnit(UnitPlacement placement) => placement.Unit == "init.scope" && placement.Manager == ManagerKind.System;

    private static async Task<KillMode?> TryReadKillModeAsync(ManagerKind manager, string unit, CancellationToken cancellationToken)
    {
        try
        {
            return (await DBusClient.For(manager).TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false))?.KillMode;
        }
        catch (OutliveException)
        {
            return null;
        }
    }

    private static bool UserBusReachable()
    {
        try
        {
            string address = SystemdBus.User().Address;
            return !address.StartsWith("unix:path=", StringComparison.Ordinal) || File.Exists(address["unix:path=".Length..]);
        }
        catch (SystemdUnavailableException)
        {
            return false;
        }
    }
}
