namespace Outlive.Bench;

/// <summary>
/// One group of the table: cases measured against the group's baseline (its first case), plus the
/// targets it checks. Add a group by implementing this and listing it in Program.cs; the console
/// table and docs/performance.md are generated from the results for every group alike.
/// </summary>
internal interface IBenchGroup
{
    string Name { get; }

    GroupResult Run(BenchSettings settings);
}

/// <summary>One row of the table: a case and the summary of its samples in µs (what a sample is: the group's description).</summary>
internal sealed record CaseResult(string Case, Summary Summary);

internal sealed record TargetResult(string Target, string Measured, bool Met);

/// <param name="Description">What one sample is, for the doc.</param>
/// <param name="HasBaseline">True when the first case is the baseline the other cases are divided by.</param>
/// <param name="Facts">Measured values that are not sample distributions (e.g. RSS growth), for the doc.</param>
/// <param name="SkippedBecause">Why the group was not measured (no cases then), or null.</param>
internal sealed record GroupResult(
    string Group,
    string Description,
    IReadOnlyList<CaseResult> Cases,
    bool HasBaseline,
    IReadOnlyList<TargetResult> Targets,
    IReadOnlyList<string> Facts,
    string? SkippedBecause = null)
{
    public static GroupResult Skip(string group, string description, string reason) =>
        new(group, description, [], HasBaseline: false, [], [], reason);

    public double? RatioToBaseline(CaseResult result) =>
        HasBaseline ? result.Summary.Median / Cases[0].Summary.Median : null;

    public CaseResult Case(string name) => Cases.Single(c => c.Case == name);
}
