using Outlive.Diagnosis;
using Outlive.Systemd;
using Outlive.Escape;
using static Outlive.Tests.Support.Homes;

namespace Outlive.Tests.Diagnosis;

public class VerdictTests
{
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
        // A non-root service with no user manager: polkit alone decides whether a unit of its own can be made.
        Verdict verdict = Doctor.Predict(strategy, At(Service, mode, uid: 1500, systemAllows: mayCreateUnits, lingers: false));

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
        Residence home = At(Service, SystemdEnums.ParseKillMode(killMode));

        Assert.Equal(expected, EscapePlanner.Decide(new EscapeOptions(), home).Strategy);
        Assert.Equal(expected, Doctor.Predict(EscapeStrategy.Auto, home).Strategy);
    }

    [Fact]
    public void An_unknown_KillMode_counts_as_control_group_like_systemds_default()
    {
        Assert.False(Doctor.Predict(EscapeStrategy.Setsid, At(Service, killMode: null)).SurvivesStop);
    }

    [Fact]
    public void Outside_systemd_setsid_survives_and_transient_units_are_impossible()
    {
        Residence home = At(null, booted: false);
        Assert.True(Doctor.Predict(EscapeStrategy.Setsid, home).SurvivesAll);
        Assert.False(Doctor.Predict(EscapeStrategy.Scope, home).SurvivesAll);
        Assert.Equal(EscapeStrategy.Setsid, Doctor.Predict(EscapeStrategy.Auto, home).Strategy);
    }

    [Fact]
    public void PID_1s_init_scope_is_never_stopped()
    {
        Assert.True(Doctor.Predict(EscapeStrategy.Setsid, At(Init)).SurvivesAll);
    }

    [Theory]
    [InlineData(false, false, true)]
    [InlineData(false, true, true)]
    [InlineData(true, false, false)]
    [InlineData(true, true, false)]
    public void In_a_session_setsid_lives_through_logout_exactly_when_logind_abandons_the_session(bool killUserProcesses, bool lingers, bool survivesLogout)
    {
        Residence home = At(Session, uid: 1500, systemAllows: false, lingers: lingers, userManager: true, logout: killUserProcesses ? KillsSessions : KeepsSessions);
        Verdict setsid = Doctor.Predict(EscapeStrategy.Setsid, home);

        Assert.Equal(survivesLogout, setsid.SurvivesLogout);
        Assert.True(setsid.SurvivesCrash, "the parent's own exit does not end the session");
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void A_scope_in_the_user_manager_lives_through_logout_exactly_when_the_user_lingers(bool lingers, bool survivesLogout)
    {
        Residence home = At(Session, uid: 1500, systemAllows: false, lingers: lingers, userManager: true, logout: KillsSessions);
        Verdict scope = Doctor.Predict(EscapeStrategy.Scope, home);

        Assert.True(scope.SurvivesStop);
        Assert.Equal(survivesLogout, scope.SurvivesLogout);
        Assert.Contains(lingers ? "u1 lingers" : "loginctl enable-linger u1", scope.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, true, true)]
    [InlineData(true, false, false)]
    [InlineData(true, true, false)]
    [InlineData(false, false, true)]
    public void Doctors_auto_verdict_and_the_planners_choice_agree_in_every_session_cell(bool killUserProcesses, bool lingers, bool expectSetsid)
    {
        Residence home = At(Session, uid: 1500, systemAllows: false, lingers: lingers, userManager: true, logout: killUserProcesses ? KillsSessions : KeepsSessions);
        Verdict auto = Doctor.Predict(EscapeStrategy.Auto, home);
        EscapePlan? plan = null;
        try
        {
            plan = EscapePlanner.Decide(new EscapeOptions(), home);
        }
        catch (EscapeRefusedException)
        {
        }

        Assert.Equal(plan?.Strategy ?? EscapeStrategy.Auto, auto.Strategy);
        Assert.Equal(plan is not null, auto.SurvivesAll);
        if (expectSetsid)
            Assert.Equal(EscapeStrategy.Setsid, auto.Strategy);
    }
}
