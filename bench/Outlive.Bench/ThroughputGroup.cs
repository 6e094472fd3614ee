using System.Diagnostics;
using Outlive.Spawn;

namespace Outlive.Bench;

/// <summary>Sustained start-and-wait of /bin/true, one loop per core: wall-clock µs per child.</summary>
internal sealed class ThroughputGroup(Lazy<NativeBaseline> native) : IBenchGroup
{
    public const string C = "C posix_spawn + waitpid (baseline)";
    public const string Outlive = "Outlive Start + Exited";
    public const string DotNet = ".NET Process.Start + WaitForExit";

    public string Name => "start+exit throughput";

    public GroupResult Run(BenchSettings settings)
    {
        int threads = settings.ThroughputThreads;
        int perThread = settings.ThroughputChildrenPerThread;
        var outliveInfo = new DetachedStartInfo { Program = "/bin/true" };
        var dotnetInfo = new ProcessStartInfo("/bin/true") { UseShellExecute = false };
        List<CaseResult> cases = Interleaved.Run(
            [
                new BenchCase(C, _ => [native.Value.MicrosecondsPerChild(threads, perThread)]),
                new BenchCase(Outlive, _ => [MicrosecondsPerChild(threads, perThread, () => DetachedProcess.Start(outliveInfo).Exited.Wait())]),
                new BenchCase(DotNet, _ => [MicrosecondsPerChild(threads, perThread, () =>
                {
                    using Process child = Process.Start(dotnetInfo)!;
                    child.WaitForExit();
                })]),
            ],
            settings.ThroughputRounds, batchSize: 1, warmupSize: 1);

        var result = new GroupResult(Name,
            $"wall-clock µs per child for {threads} concurrent loops × {perThread} children of start-and-wait-for-exit (/bin/true); one sample per batch",
            cases, HasBaseline: true, [], []);
        double toC = result.RatioToBaseline(result.Case(Outlive))!.Value;
        return result with
        {
            Targets = [new TargetResult("Outlive start+exit µs per child within 10% of C (≤ 1.1×)", $"{toC:0.000}×", toC <= 1.1)],
        };
    }

    private static double MicrosecondsPerChild(int threads, int perThread, Action startAndWait)
    {
        long start = Stopwatch.GetTimestamp();
        Thread[] loops = [.. Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            for (int i = 0; i < perThread; i++)
                startAndWait();
        }))];
        foreach (Thread loop in loops)
            loop.Start();
        foreach (Thread loop in loops)
            loop.Join();
        return Stopwatch.GetElapsedTime(start).TotalMicroseconds / (threads * perThread);
    }
}
