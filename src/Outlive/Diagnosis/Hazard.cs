namespace Outlive.Diagnosis;

/// <summary>Something about a process that can make its children die or misbehave; <see cref="Advice"/> says what to do.</summary>
public sealed record Hazard(string Id, string Finding, string Advice);
