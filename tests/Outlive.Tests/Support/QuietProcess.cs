namespace Outlive.Tests.Support;

/// <summary>Tests that count this process's children run alone, so no other test's children are counted.</summary>
[CollectionDefinition(nameof(QuietProcess), DisableParallelization = true)]
public sealed class QuietProcess;
