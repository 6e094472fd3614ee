namespace Outlive.Bench;

/// <summary>How long each group runs, and where the runner may write (never the machine's /tmp).</summary>
internal sealed record BenchSettings(
    bool Quick,
    string RepoRoot,
    string WorkDirectory,
    int SpawnRounds,
    int SpawnBatch,
    int ThroughputRounds,
    int ThroughputChildrenPerThread,
    int ThroughputThreads,
    int ScaleChildren,
    // Groups whose samples are whole commands or D-Bus round trips (tens of ms each): the bed groups and ps.
    int CommandRounds,
    int CommandBatch)
{
    public static BenchSettings Create(bool quick)
    {
        string root = FindRepoRoot();
        string work = Path.Combine(root, "artifacts", "bench");
        Directory.CreateDirectory(work);
        // Small batches and many rounds: the finer the interleaving, the less a burst of load on the
        // shared machine favours one case.
        return quick
            ? new BenchSettings(true, root, work, SpawnRounds: 40, SpawnBatch: 25,
                ThroughputRounds: 10, ThroughputChildrenPerThread: 50, ThroughputThreads: Environment.ProcessorCount,
                ScaleChildren: 10_000, CommandRounds: 8, CommandBatch: 5)
            : new BenchSettings(false, root, work, SpawnRounds: 200, SpawnBatch: 50,
                ThroughputRounds: 30, ThroughputChildrenPerThread: 150, ThroughputThreads: Environment.ProcessorCount,
                ScaleChildren: 10_000, CommandRounds: 30, CommandBatch: 10);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Outlive.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"Outlive.slnx not found above {AppContext.BaseDirectory}");
    }
}
