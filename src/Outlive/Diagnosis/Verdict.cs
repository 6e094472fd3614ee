using Outlive.Systemd;
using Outlive.Systemd.Escape;

namespace Outlive.Diagnosis;

/// <summary>Whether a child started now by <see cref="Strategy"/> survives each thing that can happen to its parent's unit.</summary>
public sealed record Verdict(EscapeStrategy Strategy, bool SurvivesStop, bool SurvivesRestart, bool SurvivesCrash, string Reason)
{
    public bool SurvivesAll => SurvivesStop && SurvivesRestart && SurvivesCrash;

    /// <summary>
    /// The rules the survival matrix shows on systemd 252: a setsid child shares its parent's cgroup,
    /// so it lives exactly when the unit's KillMode leaves the rest of the cgroup alone (process, none);
    /// a scope or service child is in a unit of its own and lives whenever that unit can be created.
    /// </summary>
    /// <param name="unit">The parent's unit; null outside any unit systemd stops.</param>
    /// <param name="killMode">That unit's KillMode (null: unknown, taken as systemd's default control-group).</param>
    /// <param name="canCreateTransientUnits">Whether this process may create transient units on a manager outside its unit.</param>
    public static Verdict For(EscapeStrategy strategy, string? unit, KillMode? killMode, bool canCreateTransientUnits)
    {
        if (strategy == EscapeStrategy.Setsid)
        {
            if (unit is null)
                return Same(strategy, true, "not in a unit that systemd stops: nothing kills it (C1, C3)");
            KillMode mode = killMode ?? KillMode.ControlGroup;
            return mode switch
            {
                KillMode.Process => Same(strategy, true, $"KillMode=process: only the main process is signalled; the child stays in {unit}'s cgroup (C4)"),
                KillMode.None => Same(strategy, true, $"KillMode=none: nothing is killed, and nothing is cleaned up either (C6)"),
                KillMode.Mixed => Same(strategy, false, $"KillMode=mixed: the rest of {unit}'s cgroup gets SIGKILL (C5)"),
                _ => Same(strategy, false, $"KillMode={mode.ToSystemdString()}: every process left in {unit}'s cgroup is killed, setsid or not (C2)"),
            };
        }
        return canCreateTransientUnits
            ? Same(strategy, true, $"its own transient {strategy.ToString().ToLowerInvariant()} is outside {unit ?? "the caller's unit"}: stopping that unit does not touch it")
            : Same(strategy, false, "this process may not create transient units (not root, and polkit did not allow org.freedesktop.systemd1.manage-units)");
    }

    private static Verdict Same(EscapeStrategy strategy, bool survives, string reason) => new(strategy, survives, survives, survives, reason);
}
