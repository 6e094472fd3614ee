using System.Diagnostics;
using System.Globalization;
using Outlive.Spawn;

namespace Outlive.Bench;

/// <summary>
/// Many children from one long-lived parent (this process): started back to back without waiting,
/// then all awaited. Checks that nothing per child stays behind: memory, zombies.
/// </summary>
internal sealed class ScaleGroup : IBenchGroup
{
    private const int WarmupChildren = 500;

    public string Name => "scale";

    public GroupResult Run(BenchSettings settings)
    {
        int count = settings.ScaleChildren;
        var info = new DetachedStartInfo { Program = "/bin/true" };
        Task.WaitAll([.. Enumerable.Range(0, WarmupChildren).Select(_ => DetachedProcess.Start(info).Exited)]);

        var exited = new Task<ExitStatus?>[count];
        var startMicroseconds = new double[count];
        long rssBefore = SettledRssBytes();

        long loopStart = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            DetachedProcess child = DetachedProcess.Start(info);
            startMicroseconds[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            exited[i] = child.Exited;
        }
        double startsPerSecond = count / Stopwatch.GetElapsedTime(loopStart).TotalSeconds;
        Task.WaitAll(exited);
        int unreaped = exited.Count(t => t.Result is null);
        int zombies = CountOwnZombies();
        Array.Clear(exited);
        double rssGrowthPerChild = (double)(SettledRssBytes() - rssBefore) / count;

        string label = $"Outlive Start, {count.ToString("N0", CultureInfo.InvariantCulture)} children back to back";
        return new GroupResult(Name,
            "µs per start call while children exit and are reaped concurrently (one parent, no waiting between starts); one sample per call",
            [new CaseResult(label, Summary.Of(startMicroseconds))],
            HasBaseline: false,
            [
                new TargetResult("parent RSS growth < 1 KiB per child", $"{rssGrowthPerChild:0} B per child", rssGrowthPerChild < 1024),
                new TargetResult("no zombies of the parent after all children exited", $"{zombies} zombies", zombies == 0),
            ],
            [
                $"sustained start rate: {startsPerSecond:0} children/s",
                $"parent RSS growth after a full GC: {rssGrowthPerChild:0} B per child (VmRSS before and after, /proc/self/status)",
                $"zombies of the parent at the end (/proc/*/stat with ppid = self and state Z): {zombies}",
                $"children whose exit status Outlive did not get (reaped by someone else): {unreaped}",
            ]);
    }

    private static long SettledRssBytes()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        string line = File.ReadLines("/proc/self/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    private static int CountOwnZombies()
    {
        int self = Environment.ProcessId;
        int zombies = 0;
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
                continue;
            Procfs.ProcStat? stat = Procfs.ProcStat.TryRead(pid);
            if (stat is { IsZombie: true } && stat.ParentPid == self)
                zombies++;
        }
        return zombies;
    }
}
