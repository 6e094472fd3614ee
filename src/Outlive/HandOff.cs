namespace Outlive;

/// <summary>What <see cref="Launcher.HandOffAsync"/> does once the updater runs.</summary>
public enum HandOff
{
    /// <summary>Nothing more: the updater stops and starts the caller's unit itself (or does not need to).</summary>
    None = 0,

    /// <summary>
    /// Queue a restart of the caller's own unit in systemd (RestartUnit, mode "replace") without waiting for it: the job
    /// lives in systemd, so the caller's own stop cannot cancel it.
    /// </summary>
    RestartOwnUnit = 1,
}
