namespace Outlive;

/// <summary>What was started, where, and why there.</summary>
/// <param name="Pid">The child's pid (0 for a service whose program already exited).</param>
/// <param name="Identity">Pid + start time + boot id; null when the child was already gone.</param>
/// <param name="ExecutablePath">The file that runs (for a service: as named; systemd looks it up).</param>
/// <param name="Strategy">How it escaped.</param>
/// <param name="Manager">The systemd manager that owns its unit, for scope and service.</param>
/// <param name="Unit">The transient unit the child lives in (scope/service), else null.</param>
/// <param name="Reason">One line: why this strategy.</param>
public sealed record LaunchedChild(
    int Pid,
    ProcessIdentity? Identity,
    string ExecutablePath,
    EscapeStrategy Strategy,
    ManagerKind? Manager,
    string? Unit,
    string Reason)
{
    /// <summary>The registry name, for a child started through <see cref="ChildRegistry"/>; null otherwise.</summary>
    public string? Name { get; init; }
}
