namespace Outlive.Escape;

/// <summary>
/// What a registered start does between creating the child and letting its program run. With these steps the
/// child is held (in the gate) until it is registered, so if the starting process dies at any point, either the
/// program never runs or it is registered.
/// </summary>
internal interface IStartSteps
{
    /// <summary>Before systemd is asked for <paramref name="unit"/>: record it, so an interrupted start can be finished or undone.</summary>
    Task UnitPlannedAsync(string unit, ManagerKind manager, EscapeStrategy strategy);

    /// <summary>
    /// The child exists and its program has not run yet (a service's has: systemd started it). Register it; throwing
    /// undoes the start (the held child exits without running its program, a service's unit is stopped).
    /// </summary>
    Task ChildReadyAsync(LaunchedChild child);

    /// <summary>A unit this start asked for could not be stopped after the start failed: leave it to be finished or undone later.</summary>
    void UnitAbandoned(string unit);
}
