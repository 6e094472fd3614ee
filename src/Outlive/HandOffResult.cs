namespace Outlive;

/// <summary>What <see cref="Launcher.HandOffAsync"/> did.</summary>
/// <param name="Updater">The updater: in a transient scope of its own under systemd, a setsid child without it.</param>
/// <param name="Unit">The caller's own unit (what the updater gets as <c>OUTLIVE_HANDOFF_UNIT</c>); null outside a unit or without systemd.</param>
/// <param name="Manager">The manager of <paramref name="Unit"/> (<c>OUTLIVE_HANDOFF_MANAGER</c>: system or user).</param>
/// <param name="RestartJob">The systemd job restarting <paramref name="Unit"/>, when one was queued; null otherwise.</param>
/// <param name="Reason">One line: how the updater escaped and what became of the restart (and why, when none was queued).</param>
public sealed record HandOffResult(LaunchedChild Updater, string? Unit, ManagerKind? Manager, string? RestartJob, string Reason)
{
    /// <summary>True when systemd accepted the restart of the caller's unit: this process will be stopped.</summary>
    public bool RestartQueued => RestartJob is not null;

    /// <summary>The caller's unit name, set for the updater; absent when the caller has no unit.</summary>
    public const string UnitVariable = "OUTLIVE_HANDOFF_UNIT";

    /// <summary>"system" or "user": which manager owns the caller's unit (<c>systemctl</c> or <c>systemctl --user</c>).</summary>
    public const string ManagerVariable = "OUTLIVE_HANDOFF_MANAGER";

    /// <summary>The caller's PID, set for the updater: wait for it to exit before replacing its files.</summary>
    public const string PidVariable = "OUTLIVE_HANDOFF_PID";
}
