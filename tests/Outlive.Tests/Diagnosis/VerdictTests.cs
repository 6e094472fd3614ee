using Outlive.Diagnosis;
using Outlive.Systemd;
using Outlive.Escape;

namespace Outlive.Tests.Diagnosis;

public class VerdictTests
{
    private static readonly UnitPlacement InService = UnitPlacement.FromCgroupPath("/system.slice/app.service");

    public static TheoryData<string, EscapeStrategy, bool, bool> Table()
    {
        var data = new TheoryData<string, EscapeStrategy, bool, bool>();
        foreach (KillMode mode in Enum.GetValues<KillMode>())
        {
            foreach (bool allowed in new[] { true, false })
            {
                // setsid: the child stays in the unit's cgroup, so KillMode alone decides (survival matrix, C2 C4 C5 C6).
                data.Add(mode.ToSystemdString(), EscapeStrategy.Setsid, allowed, mode is KillMode.Process or KillMode.None);
                // scope, service: outside the unit whenever the unit can be created, whatever the KillMode.
                data.Add(mode.ToSystemdString(), EscapeStrategy.Scope, allowed, allowed);
                data.Add(mode.ToSystemdString(), EscapeStrategy.Service, allowed, allowed);
                // auto: setsid where KillMode spares it, else a scope.
                data.Add(mode.ToSystemdString(), EscapeStrategy.Auto, allowed, mode is KillMode.Process or KillMode.None || allowed);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Table))]
    public void Every_KillMode_strategy_and_permission_predicts_the_survival_matrix_outcome(string killMode, EscapeStrategy strategy, bool mayCreateUnits, bool survives)
    {
        KillMode mode = SystemdEnums.ParseKillMode(killMode)!.Value;
        Verdict verdict = Doctor.Predict(strategy, systemdBooted: true, InService, mode, mayCreateUnits);

        Assert.Equal(survives, verdict.SurvivesStop);
        Assert.Equal(survives, verdict.SurvivesRestart);
        Assert.Equal(survives, verdict.SurvivesCrash);
        Assert.DoesNotContain('\n', verdict.Reason);
    }

    [Theory]
    [InlineData("control-group", EscapeStrategy.Scope)]
    [InlineData("mixed", EscapeStrategy.Scope)]
    [InlineData("process", EscapeStrategy.Setsid)]
    [InlineData("none", EscapeStrategy.Setsid)]
    public void Auto_resolves_to_the_strategy_the_escape_planner_picks(string killMode, EscapeStrategy expected)
    {
        KillMode mode = SystemdEnums.ParseKillMode(killMode)!.Value;
        EscapePlan plan = EscapePlanner.Decide(new EscapeOptions(), true, InService, mode, isRoot: true, userBusReachable: false);

        Assert.Equal(expected, plan.Strategy);
        Assert.Equal(expected, Doctor.Predict(EscapeStrategy.Auto, true, InService, mode, true).Strategy);
    }

    [Fact]
    public void An_unknown_KillMode_counts_as_control_group_like_systemds_default()
    {
        Assert.False(Doctor.Predict(EscapeStrategy.Setsid, true, InService, killMode: null, true).SurvivesStop);
    }

    [Fact]
    public void Outside_systemd_setsid_survives_and_transient_units_are_impossible()
    {
        Assert.True(Doctor.Predict(EscapeStrategy.Setsid, systemdBooted: false, null, null, false).SurvivesAll);
        Assert.False(Doctor.Predict(EscapeStrategy.Scope, systemdBooted: false, null, null, false).SurvivesAll);
        Assert.Equal(EscapeStrategy.Setsid, Doctor.Predict(EscapeStrategy.Auto, systemdBooted: false, null, null, false).Strategy);
    }

    [Fact]
    public void A_process_in_init_scope_or_a_user_session_scope_is_judged_by_what_stops_it()
    {
        // PID 1's own init.scope is never stopped; a login session scope is (when the session ends).
        Assert.True(Doctor.Predict(EscapeStrategy.Setsid, true, UnitPlacement.FromCgroupPath("/init.scope"), null, false).SurvivesAll);
        Assert.False(Doctor.Predict(EscapeStrategy.Setsid, true, UnitPlacement.FromCgroupPath("/user.slice/user-1000.slice/session-3.scope"), null, false).SurvivesAll);
    }
}
