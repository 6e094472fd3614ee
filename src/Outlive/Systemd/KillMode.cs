namespace Outlive.Systemd;

/// <summary>systemd.kill(5) <c>KillMode=</c>: which of a unit's processes a stop signals.</summary>
internal enum KillMode
{
    /// <summary>Every process in the unit's cgroup (the default; kills setsid children, seed claim C2).</summary>
    ControlGroup,
    /// <summary>SIGTERM to the main process, SIGKILL to the rest (C5).</summary>
    Mixed,
    /// <summary>Only the main process; the others stay, still in the cgroup (C4).</summary>
    Process,
    /// <summary>Nothing is killed (C6).</summary>
    None,
}

/// <summary>systemd.unit(5) <c>CollectMode=</c>: when a unit is unloaded after it stopped.</summary>
internal enum CollectMode
{
    /// <summary>Only when inactive: a failed unit stays until reset-failed, keeping its name taken.</summary>
    Inactive,
    /// <summary>Also when failed, so a transient name never lingers.</summary>
    InactiveOrFailed,
}

internal static class SystemdEnums
{
    /// <summary>The setting's spelling in unit files and on the bus.</summary>
    public static string ToSystemdString(this KillMode mode) => mode switch
    {
        KillMode.ControlGroup => "control-group",
        KillMode.Mixed => "mixed",
        KillMode.Process => "process",
        KillMode.None => "none",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    public static string ToSystemdString(this CollectMode mode) => mode switch
    {
        CollectMode.Inactive => "inactive",
        CollectMode.InactiveOrFailed => "inactive-or-failed",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    /// <summary>Parses a KillMode property value as systemd reports it; null for anything unknown.</summary>
    public static KillMode? ParseKillMode(string? value) => value switch
    {
        "control-group" => KillMode.ControlGroup,
        "mixed" => KillMode.Mixed,
        "process" => KillMode.Process,
        "none" => KillMode.None,
        _ => null,
    };
}
