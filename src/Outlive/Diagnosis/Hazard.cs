namespace Outlive.Diagnosis;

/// <summary>Something about a process that can make its children die or misbehave; <see cref="Advice"/> says what to do.</summary>
internal sealed record Hazard(string Id, string Finding, string Advice);
