namespace Outlive.Systemd.Escape;

/// <summary>How a child gets out of its parent's reach.</summary>
public enum EscapeStrategy
{
    /// <summary>Decide from where the caller runs: setsid where that is enough, else a scope.</summary>
    Auto,

    /// <summary>setsid only: enough outside systemd, or when the caller's unit has KillMode=process or none.</summary>
    Setsid,

    /// <summary>The child in its own transient scope unit, before it runs its program (like systemd-run --scope).</summary>
    Scope,

    /// <summary>A transient service: systemd starts and supervises the child and logs it to the journal.</summary>
    Service,
}
