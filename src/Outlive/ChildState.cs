namespace Outlive;

/// <summary>Whether a registered child still runs (for a scope or service child: whether its unit is active).</summary>
public enum ChildState
{
    Running,

    /// <summary>It exited (or its PID now names another process, or its unit is inactive).</summary>
    Gone,

    /// <summary>It cannot be told: /proc hides the process, or its manager refused to say.</summary>
    Unknown,
}
