using System.Diagnostics;
using Outlive.Spawn;

namespace Outlive.Bench;

/// <summary>Time until the start call returns; child = /bin/true, reaped after the timed call.</summary>
internal sealed class SpawnCallGroup(Lazy<NativeBaseline> native) : IBenchGroup
{
    public const string C = "C posix_spawn, own program (baseline)";
    public const string CInProcess = "C posix_spawn, called in this .NET process";
    public const string Outlive = "Outlive DetachedProcess.Start";
    public const string DotNet = ".NET Process.Start";

    public string Name => "spawn call";

    public GroupResult Run(BenchSettings settings)
    {
        var outliveInfo = new DetachedStartInfo { Program = "/bin/true" };
        var dotnetInfo = new ProcessStartInfo("/bin/true") { UseShellExecute = false };
        List<CaseResult> cases = Interleaved.Run(
            [
                new BenchCase(C, native.Value.TimeCalls),
                new BenchCase(CInProcess, native.Value.TimeCallsInProcess),
                new BenchCase(Outlive, n => TimeCalls(n, () =>
                {
                    long start = Stopwatch.GetTimestamp();
                    DetachedProcess child = DetachedProcess.Start(outliveInfo);
                    double elapsed = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                    child.Exited.Wait();
                    return elapsed;
                })),
                new BenchCase(DotNet, n => TimeCalls(n, () =>
                {
                    long start = Stopwatch.GetTimestamp();
                    using Process child = Process.Start(dotnetInfo)!;
                    double elapsed = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                    child.WaitForExit();
                    return elapsed;
                })),
            ],
            settings.SpawnRounds, settings.SpawnBatch, warmupSize: 20);

        var result = new GroupResult(Name,
            "µs until the start call returns (child: /bin/true, reaped outside the timed region); one sample per call",
            cases, HasBaseline: true, [], []);
        double toC = result.Case(Outlive).Summary.Median / result.Case(CInProcess).Summary.Median;
        double toDotNet = result.Case(Outlive).Summary.Median / result.Case(DotNet).Summary.Median;
        return result with
        {
            Targets =
            [
                new TargetResult("Outlive start call median ≤ 1.3× C posix_spawn called in the same process", $"{toC:0.000}×", toC <= 1.3),
                new TargetResult("Outlive start call median ≤ 0.8× .NET Process.Start", $"{toDotNet:0.000}×", toDotNet <= 0.8),
            ],
        };
    }

    private static List<double> TimeCalls(int calls, Func<double> timedCall)
    {
        var samples = new List<double>(calls);
        for (int i = 0; i < calls; i++)
            samples.Add(timedCall());
        return samples;
    }
}
