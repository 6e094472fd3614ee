namespace Outlive.Bench;

/// <summary>
/// In the systemd bed: the library's scope escape, timed in-process by the runner inside the bed, against
/// one <c>systemd-run --scope</c> run timed by the same process.
/// </summary>
internal sealed class ScopeEscapeGroup(BedSession bed) : IBenchGroup
{
    public const string Library = "Outlive Launcher.StartAsync, escape = scope";

    public string Name => "scope escape";

    private const string Description =
        "in the systemd bed, µs timed by the runner running there as a service (KillMode=control-group): until `Launcher.StartAsync` (/bin/true, `EscapeStrategy.Scope`) returns with the child " +
        "in its scope and released (planning included: it reads the service's KillMode over D-Bus), in the runner's own warm process; vs one whole `systemd-run --scope --collect --quiet /bin/true` command " +
        "started and waited for by the same process";

    public GroupResult Run(BenchSettings settings)
    {
        if (bed.Inside is not { } inside)
            return GroupResult.Skip(Name, Description, bed.Unavailable!);
        List<CaseResult> cases = Interleaved.Run(
            [
                new BenchCase(SystemdRunScope.CaseName, n => inside.Measure(InsideBed.Command, n, SystemdRunScope.Argv)),
                new BenchCase(Library, n => inside.Measure(InsideBed.LibraryScopeEscape, n)),
            ],
            settings.CommandRounds, settings.CommandBatch, warmupSize: 3);
        var result = new GroupResult(Name, Description, cases, HasBaseline: true, [], [bed.Description]);
        double ratio = result.RatioToBaseline(result.Case(Library))!.Value;
        return result with
        {
            Targets = [new TargetResult("library scope escape median ≤ 0.3× one systemd-run --scope run", $"{ratio:0.000}×", ratio <= 0.3)],
        };
    }
}

/// <summary>The baseline of the bed groups: systemd's own tool putting /bin/true in a transient scope.</summary>
internal static class SystemdRunScope
{
    public const string CaseName = "systemd-run --scope --collect /bin/true (baseline)";
    public static readonly string[] Argv = ["systemd-run", "--scope", "--collect", "--quiet", "/bin/true"];
}
