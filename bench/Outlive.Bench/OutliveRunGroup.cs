namespace Outlive.Bench;

/// <summary>In the systemd bed: the whole NativeAOT <c>outlive run --escape scope</c> command against the whole <c>systemd-run --scope</c> command.</summary>
internal sealed class OutliveRunGroup(BedSession bed) : IBenchGroup
{
    public const string OutliveRun = "outlive run --escape scope -- /bin/true (NativeAOT)";
    public const string OutliveAuto = "outlive run -- /bin/true (NativeAOT, auto: the runner's service has KillMode=control-group)";
    public const string OutliveSetsid = "outlive run --escape setsid --force -- /bin/true (NativeAOT, no D-Bus)";

    public string Name => "outlive run (NativeAOT)";

    private const string Description =
        "in the systemd bed, µs from starting the whole command until it exited, timed by the runner inside the bed, the commands taking turns: " +
        "`outlive run --escape scope -- /bin/true` (NativeAOT, `dotnet publish src/Outlive.Cli -c Release`) and `outlive run -- /bin/true` (auto, which " +
        "reads the service's KillMode and picks a scope) vs `systemd-run --scope --collect --quiet /bin/true`; " +
        "`--escape setsid --force` is the same command without systemd (no D-Bus): what starting the command itself costs";

    public GroupResult Run(BenchSettings settings)
    {
        if (bed.Inside is not { } inside)
            return GroupResult.Skip(Name, Description, bed.Unavailable!);
        string outlive = AotCli.PublishIfStale(settings);
        List<CaseResult> cases = Interleaved.Run(
            [
                new BenchCase(SystemdRunScope.CaseName, n => inside.Measure(InsideBed.Command, n, SystemdRunScope.Argv)),
                new BenchCase(OutliveRun, n => inside.Measure(InsideBed.Command, n, outlive, "run", "--escape", "scope", "--", "/bin/true")),
                new BenchCase(OutliveAuto, n => inside.Measure(InsideBed.Command, n, outlive, "run", "--", "/bin/true")),
                new BenchCase(OutliveSetsid, n => inside.Measure(InsideBed.Command, n, outlive, "run", "--escape", "setsid", "--force", "--", "/bin/true")),
            ],
            settings.CommandRounds, settings.CommandBatch, warmupSize: 3);
        var result = new GroupResult(Name, Description, cases, HasBaseline: true, [], []);
        double scope = result.RatioToBaseline(result.Case(OutliveRun))!.Value;
        double auto = result.RatioToBaseline(result.Case(OutliveAuto))!.Value;
        return result with
        {
            Targets =
            [
                new TargetResult("outlive run --escape scope (NativeAOT, in the bed) median ≤ 1.0× systemd-run --scope", $"{scope:0.000}×", scope <= 1.0),
                new TargetResult("outlive run, auto, in a control-group service (NativeAOT, in the bed) median ≤ 1.1× systemd-run --scope", $"{auto:0.000}×", auto <= 1.1),
            ],
        };
    }
}
