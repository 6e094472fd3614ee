using System.Diagnostics;
using System.Globalization;
using Outlive.Registry;

namespace Outlive.Bench;

/// <summary>
/// The whole NativeAOT <c>outlive ps</c> over a registry of 10,000 entries, written by the registry's own
/// Reserve + Commit into a scratch state dir. Every entry names this runner's process, so every one is
/// alive and listed: ps reads, checks and prints all of them.
/// </summary>
internal sealed class PsGroup : IBenchGroup
{
    public const int Entries = 10_000;
    public const string Ps = "outlive ps --state-dir DIR (NativeAOT), 10,000 running entries";
    private static readonly TimeSpan Target = TimeSpan.FromMilliseconds(50);

    public string Name => "ps over 10,000 entries";

    public GroupResult Run(BenchSettings settings)
    {
        string outlive = AotCli.PublishIfStale(settings);
        string stateDir = WriteRegistryAsync(Path.Combine(settings.WorkDirectory, "ps-state")).GetAwaiter().GetResult();
        List<CaseResult> cases = Interleaved.Run(
            [new BenchCase(Ps, n => TimeRuns(n, outlive, ["ps", "--state-dir", stateDir]))],
            settings.CommandRounds, settings.CommandBatch, warmupSize: 3);
        var result = new GroupResult(Name,
            "µs from starting the whole NativeAOT `outlive ps --state-dir DIR` until it exited (on the host, its output read and dropped), " +
            $"over {Entries:N0} entries that the registry's own `ReserveAsync` + `Commit` wrote, all naming the runner's live process so every one is listed",
            cases, HasBaseline: false, [], []);
        double median = result.Case(Ps).Summary.Median;
        return result with
        {
            Targets = [new TargetResult($"outlive ps over {Entries:N0} entries median ≤ {Target.TotalMilliseconds:0} ms", $"{median / 1000:0.0} ms", median <= Target.TotalMicroseconds)],
        };
    }

    private static async Task<string> WriteRegistryAsync(string stateDir)
    {
        if (Directory.Exists(stateDir))
            Directory.Delete(stateDir, recursive: true);
        var registry = new RegistryStore(stateDir);
        ProcessIdentity self = ProcessIdentity.TryCapture(Environment.ProcessId)!;
        for (int i = 0; i < Entries; i++)
        {
            using Reservation reservation = await registry.ReserveAsync(string.Create(CultureInfo.InvariantCulture, $"bench-{i:00000}"), "/bin/sleep", replace: false, CancellationToken.None);
            reservation.Commit(new ChildLaunch(self, EscapeStrategy.Setsid, null, ["/bin/sleep", "infinity"], "/", null, null, null));
        }
        return registry.StateDir;
    }

    private static List<double> TimeRuns(int runs, string program, string[] arguments)
    {
        var samples = new List<double>(runs);
        for (int i = 0; i < runs; i++)
        {
            var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string argument in arguments)
                psi.ArgumentList.Add(argument);
            long start = Stopwatch.GetTimestamp();
            using Process process = Process.Start(psi)!;
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            if (process.ExitCode != 0 || stderr.Result.Length > 0)
                throw new InvalidOperationException($"outlive ps exited {process.ExitCode}: {stderr.Result.Trim()}");
        }
        return samples;
    }
}
