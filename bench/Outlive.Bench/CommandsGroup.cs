namespace Outlive.Bench;

/// <summary>
/// On the host, not under systemd: the whole NativeAOT <c>outlive</c> command against <c>setsid -f /bin/true</c>, each run
/// started and reaped by the C program (as <c>hyperfine -N</c> does), the cases taking turns.
/// </summary>
internal sealed class CommandsGroup(Lazy<NativeBaseline> native) : IBenchGroup
{
    public const string Setsid = "setsid -f /bin/true (baseline)";
    public const string Version = "outlive --version";
    public const string OutliveRun = "outlive run -- /bin/true (registry included)";
    public const string Status = "outlive status NAME";

    public string Name => "outlive commands (NativeAOT, host)";

    private const string Description =
        "µs from starting the whole command until it was reaped, on the host (no systemd unit around the runner), timed by the C program " +
        "(posix_spawn + waitpid, output to /dev/null), the cases taking turns; the registry is a scratch state dir under artifacts/bench, " +
        "and `status` names a running `sleep` that `run` registered there";

    public GroupResult Run(BenchSettings settings)
    {
        string outlive = AotCli.PublishIfStale(settings);
        string stateDir = Path.Combine(settings.WorkDirectory, "commands-state");
        if (Directory.Exists(stateDir))
            Directory.Delete(stateDir, recursive: true);
        Commands.RunToEnd(outlive, ["run", "--state-dir", stateDir, "--name", "bench-status", "--", "/bin/sleep", "infinity"]);
        try
        {
            List<CaseResult> cases = Interleaved.Run(
                [
                    new BenchCase(Setsid, n => native.Value.TimeCommand(n, "/usr/bin/setsid", "-f", "/bin/true")),
                    new BenchCase(Version, n => native.Value.TimeCommand(n, outlive, "--version")),
                    new BenchCase(OutliveRun, n => native.Value.TimeCommand(n, outlive, "run", "--state-dir", stateDir, "--", "/bin/true")),
                    new BenchCase(Status, n => native.Value.TimeCommand(n, outlive, "status", "--state-dir", stateDir, "bench-status")),
                ],
                settings.CommandRounds * 4, settings.CommandBatch, warmupSize: 5);
            var result = new GroupResult(Name, Description, cases, HasBaseline: true, [], []);
            double run = result.RatioToBaseline(result.Case(OutliveRun))!.Value;
            double status = result.Case(Status).Summary.Median / result.Case(Version).Summary.Median;
            return result with
            {
                Targets =
                [
                    new TargetResult("outlive run -- /bin/true (host, registry included) median ≤ 3× setsid -f /bin/true", $"{run:0.00}×", run <= 3),
                    new TargetResult("outlive status NAME median ≤ 2× outlive --version", $"{status:0.00}×", status <= 2),
                ],
            };
        }
        finally
        {
            Commands.RunToEnd(outlive, ["stop", "--state-dir", stateDir, "bench-status"]);
        }
    }
}
