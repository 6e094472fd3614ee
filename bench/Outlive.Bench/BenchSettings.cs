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
    int ScaleChildren)
{
    public static BenchSettings Create(bool quick)
    {
        string root = FindRepoRoot();
        string work = Path.Combine(root, "artifacts", "bench");
        Directory.CreateDirectory(work);
        return quick
            ? new BenchSettings(true, root, work, SpawnRounds: 10, SpawnBatch: 100,
                ThroughputRounds: 6, ThroughputChildrenPerThread: 100, ThroughputThreads: Environment.ProcessorCount,
                ScaleChildren: 10_000)
            : new BenchSettings(false, root, work, SpawnRounds: 40, SpawnBatch: 250,
                ThroughputRounds: 20, ThroughputChildrenPerThread: 250, ThroughputThreads: Environment.ProcessorCount,
                ScaleChildren: 10_000);
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
