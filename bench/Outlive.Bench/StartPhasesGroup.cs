using System.Diagnostics;
using Outlive.Procfs;
using Outlive.Spawn;

namespace Outlive.Bench;

/// <summary>
/// Where DetachedProcess.Start spends its time: the same steps it takes for { Program = "/bin/true" },
/// called one by one through the library's internal pieces, each timed with Stopwatch.
/// Keep in step with DetachedProcess.Start.
/// </summary>
internal sealed class StartPhasesGroup : IBenchGroup
{
    private static readonly string[] Phases =
    [
        "environment block (ChildEnvironment.Build)",
        "program lookup (ProgramResolver.Resolve)",
        "request: argv list",
        "NativeSpawn.Spawn: one native block for argv and environment, shared attributes, posix_spawn",
        "identity (CLOCK_BOOTTIME read around the spawn: no /proc read)",
        "reaper: pidfd_open + epoll_ctl",
        "sum of the phases",
        "not in the sum: the identity read from /proc/PID/stat (before the change; now only when a clock tick ends during the spawn)",
    ];

    internal const int IdentityRow = 4;
    internal const int SumRow = 6;
    internal const int IdentityBeforeRow = 7;

    public string Name => "start phases";

    public GroupResult Run(BenchSettings settings)
    {
        var info = new DetachedStartInfo { Program = "/bin/true" };
        var samples = Phases.Select(_ => new List<double>()).ToArray();
        var phaseTimes = new double[Phases.Length];
        for (int i = 0; i < 20 + settings.SpawnRounds * settings.SpawnBatch; i++)
        {
            TimeOneStart(info, phaseTimes, identityBeforeFirst: i % 2 == 0);
            if (i < 20)
                continue;
            for (int p = 0; p < Phases.Length; p++)
                samples[p].Add(phaseTimes[p]);
        }
        return new GroupResult(Name,
            "µs per phase of one DetachedProcess.Start of /bin/true, the steps called one by one; one sample per start",
            [.. Phases.Select((phase, p) => new CaseResult(phase, Summary.Of(samples[p])))],
            HasBaseline: false, [], []);
    }

    /// <param name="identityBeforeFirst">
    /// Which identity read goes first: the second one finds the child further along, so the order alternates.
    /// </param>
    private static void TimeOneStart(DetachedStartInfo info, double[] phaseTimes, bool identityBeforeFirst)
    {
        long mark = Stopwatch.GetTimestamp();
        void TimeIdentityBefore(int child)
        {
            mark = Stopwatch.GetTimestamp();
            _ = ProcessIdentity.TryCapture(child);
            phaseTimes[IdentityBeforeRow] = Lap();
        }
        double Lap()
        {
            long now = Stopwatch.GetTimestamp();
            double elapsed = Stopwatch.GetElapsedTime(mark, now).TotalMicroseconds;
            mark = now;
            return elapsed;
        }

        EnvironmentBlock environment = ChildEnvironment.Build(info, null);
        phaseTimes[0] = Lap();
        string executable = ProgramResolver.Resolve(info.Program, environment.Find("PATH"), null);
        phaseTimes[1] = Lap();
        var request = new NativeSpawn.Request(executable, [.. info.CommandText.Select(System.Text.Encoding.UTF8.GetBytes)],
            environment, null, info.StandardOutput, info.StandardError, info.PassedFds);
        phaseTimes[2] = Lap();
        long before = StartTime.BootClockNow();
        int pid = NativeSpawn.Spawn(request, out _);
        long after = StartTime.BootClockNow();
        phaseTimes[3] = Lap();
        if (identityBeforeFirst)
            TimeIdentityBefore(pid);
        _ = StartTime.OfProcessMadeBetween(before, after) ?? ProcStat.TryRead(pid)?.StartTimeTicks;
        phaseTimes[IdentityRow] = Lap();
        if (!identityBeforeFirst)
            TimeIdentityBefore(pid);
        Task<ExitStatus?> exited = ChildReaper.Shared.Watch(pid);
        phaseTimes[5] = Lap();
        phaseTimes[SumRow] = phaseTimes[..SumRow].Sum();
        exited.Wait();
    }
}
