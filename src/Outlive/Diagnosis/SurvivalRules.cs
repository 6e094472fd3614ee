using Outlive.Systemd;

namespace Outlive.Diagnosis;

/// <summary>
/// The rules the survival matrix shows on systemd 252 (docs/survival-matrix.md): a setsid child shares its
/// parent's cgroup, so it lives exactly when the unit's KillMode leaves the rest of the cgroup alone (process,
/// none); a scope or service child is in a unit of its own and lives whenever that unit can be created.
/// </summary>
internal static class SurvivalRules
{
    /// <param name="unit">The parent's unit; null outside any unit systemd stops.</param>
    /// <param name="killMode">That unit's KillMode (null: unknown, taken as systemd's default control-group).</param>
    /// <param name="canCreateTransientUnits">Whether this process may create transient units on a manager outside its unit.</param>
    internal static Verdict For(EscapeStrategy strategy, string? unit, KillMode? killMode, bool canCreateTransientUnits)
    {
        if (strategy == EscapeStrategy.Setsid)
        {
            if (unit is null)
                return Same(strategy, true, "not in a unit that systemd stops: nothing kills it");
            KillMode mode = killMode ?? KillMode.ControlGroup;
            return mode switch
            {
                KillMode.Process => Same(strategy, true, $"KillMode=process: only the main process is signalled; the child stays in {unit}'s cgroup"),
                KillMode.None => Same(strategy, true, "KillMode=none: nothing is killed, and nothing is cleaned up either"),
                KillMode.Mixed => Same(strategy, false, $"KillMode=mixed: the rest of {unit}'s cgroup gets SIGKILL"),
                _ => Same(strategy, false, $"KillMode={mode.ToSystemdString()}: every process left in {unit}'s cgroup is killed, setsid or not"),
            };
        }
        return canCreateTransientUnits
            ? Same(strategy, true, $"its own transient {Words.Of(strategy)} is outside {unit ?? "the caller's unit"}: stopping that unit does not touch it")
            : Same(strategy, false, "this process may not create transient units (not root, and polkit did not allow org.freedesktop.systemd1.manage-units)");
    }

    private static Verdict Same(EscapeStrategy strategy, bool survives, string reason) => new(strategy, survives, survives, survives, reason);
}
