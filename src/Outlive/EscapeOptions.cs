namespace Outlive;

/// <summary>How to escape, and what the transient unit looks like. Immutable.</summary>
public sealed record EscapeOptions
{
    public EscapeStrategy Strategy { get; init; } = EscapeStrategy.Auto;

    /// <summary>With <see cref="EscapeStrategy.Setsid"/>: start even where the child will die with the caller's unit.</summary>
    public bool Force { get; init; }

    /// <summary>A word for the unit name, <c>outlive-NAME-RANDOM.scope</c>; the program's name when null.</summary>
    public string? Name { get; init; }

    /// <summary>The slice the transient unit goes in; the manager's default when null.</summary>
    public string? Slice { get; init; }

    /// <summary>For a service: systemd's Restart= (no, on-failure, always…).</summary>
    public string? Restart { get; init; }

    /// <summary>
    /// The transient unit's exact name (systemd-run's <c>--unit</c>); without a suffix, the strategy's (<c>.scope</c>,
    /// <c>.service</c>) is added. Null: <c>outlive-NAME-RANDOM.TYPE</c>.
    /// </summary>
    public string? UnitName { get; init; }

    /// <summary>The unit's Description=; null: "outlive: " and the command line.</summary>
    public string? Description { get; init; }

    /// <summary>
    /// Unit properties as <c>NAME=VALUE</c> (systemd-run's <c>-p</c>): resource limits (MemoryMax, MemoryHigh, TasksMax,
    /// CPUQuota, CPUWeight, IOWeight…), RuntimeMaxSec, and ties to other units (PartOf, After, BindsTo…). Each is checked
    /// and typed before anything starts; an unknown one is refused.
    /// </summary>
    public IReadOnlyList<string> Properties { get; init; } = [];

    /// <summary>Copies the caller's unit's MemoryMax, MemoryHigh, CPUQuota, CPUWeight, TasksMax and IOWeight onto the child's unit.</summary>
    public bool InheritLimits { get; init; }

    /// <summary>The manager to make the unit on (systemd-run's <c>--user</c>/<c>--system</c>); null: chosen by where the caller lives.</summary>
    public ManagerKind? Manager { get; init; }
}
