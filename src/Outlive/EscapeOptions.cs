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
}
