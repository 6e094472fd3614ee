using Outlive.Diagnosis;
using Outlive.Systemd;
using Outlive.Systemd.DBus;
using Outlive.Escape;
using static Outlive.Tests.Support.Homes;

namespace Outlive.Tests.Diagnosis;

public class DoctorConclusionTests
{
    private static DoctorReport Conclude(KillMode mode, bool mayCreateUnits, string cgroup = "/system.slice/app.service", string version = "252")
    {
        UnitPlacement placement = UnitPlacement.FromCgroupPath(cgroup);
        var status = new UnitStatus(placement.Unit!, "loaded", "active", "running", cgroup, mode, true, false, 42, mayCreateUnits ? null : "nobody", null, null);
        Residence home = mayCreateUnits ? At(placement, mode) : At(placement, mode, uid: 1500, systemAllows: false, lingers: false);
        return Doctor.Conclude(42, "app", home, version, status, null, [], null);
    }

    private static DoctorReport ConcludeSession(bool killUserProcesses, bool lingers, string version = "252") =>
        Doctor.Conclude(42, "bash", At(Session, uid: 1500, systemAllows: false, lingers: lingers, userManager: true, logout: killUserProcesses ? KillsSessions : KeepsSessions),
            version, null, null, [], null);

    [Fact]
    public void A_control_group_unit_whose_process_may_create_units_gets_a_scope_and_the_unit_fix_as_second_choice()
    {
        DoctorReport report = Conclude(KillMode.ControlGroup, mayCreateUnits: true);

        Assert.Equal(EscapeStrategy.Scope, report.Recommended.Strategy);
        Assert.Equal("outlive run --escape scope -- PROGRAM [ARGS...]", report.Recommended.Command);
        Assert.EndsWith("outlive fix-unit app.service", report.UnitFixCommand, StringComparison.Ordinal);
        Assert.True(report.ChildWouldSurvive);
        Assert.Equal(EscapeStrategy.Scope, report.Auto.Strategy);
    }

    [Fact]
    public void A_control_group_unit_whose_process_may_not_create_units_gets_the_unit_fix_and_no_survival()
    {
        DoctorReport report = Conclude(KillMode.ControlGroup, mayCreateUnits: false);

        Assert.Contains("outlive fix-unit app.service", report.Recommended.Command, StringComparison.Ordinal);
        Assert.False(report.ChildWouldSurvive);
        Assert.Equal(EscapeStrategy.Auto, report.Auto.Strategy);
        Assert.NotNull(report.PolkitRule);
    }

    [Theory]
    [InlineData("process")]
    [InlineData("none")]
    public void A_unit_that_spares_setsid_children_needs_no_fix(string killMode)
    {
        KillMode mode = SystemdEnums.ParseKillMode(killMode)!.Value;
        DoctorReport report = Conclude(mode, mayCreateUnits: false);

        Assert.Equal(EscapeStrategy.Setsid, report.Recommended.Strategy);
        Assert.Equal("outlive run -- PROGRAM [ARGS...]", report.Recommended.Command);
        Assert.Null(report.UnitFixCommand);
        Assert.True(report.ChildWouldSurvive);
    }

    [Fact]
    public void A_user_unit_of_another_user_gets_no_fix_the_caller_could_not_apply()
    {
        DoctorReport report = Conclude(KillMode.Mixed, mayCreateUnits: false, "/user.slice/user-1500.slice/user@1500.service/app.slice/web.service");

        Assert.Null(report.UnitFixCommand);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void A_login_session_never_gets_fix_unit(bool killUserProcesses, bool lingers)
    {
        DoctorReport report = ConcludeSession(killUserProcesses, lingers);

        Assert.Null(report.UnitFixCommand);
        Assert.DoesNotContain("fix-unit", report.Recommended.Command, StringComparison.Ordinal);
        Assert.DoesNotContain("fix-unit", report.Auto.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_session_that_logind_kills_without_linger_gets_linger_as_the_fix_and_no_survival()
    {
        DoctorReport report = ConcludeSession(killUserProcesses: true, lingers: false);

        Assert.False(report.ChildWouldSurvive);
        Assert.StartsWith("loginctl enable-linger u1", report.Recommended.Command, StringComparison.Ordinal);
        Assert.NotNull(report.PolkitRule);
    }

    [Fact]
    public void A_session_that_logind_abandons_recommends_plain_setsid()
    {
        DoctorReport report = ConcludeSession(killUserProcesses: false, lingers: false);

        Assert.True(report.ChildWouldSurvive);
        Assert.Equal("outlive run -- PROGRAM [ARGS...]", report.Recommended.Command);
        Assert.Contains("abandons", report.Recommended.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_polkit_rule_is_limited_to_outlive_units_only_where_systemd_tells_polkit_the_unit_name()
    {
        PolkitRule old = ConcludeSession(true, false, "252 (252.36-1~deb12u1)").PolkitRule!;
        PolkitRule recent = ConcludeSession(true, false, "257.2").PolkitRule!;

        Assert.DoesNotContain("outlive-", old.Text.Split('\n')[1..].Aggregate((a, b) => a + b), StringComparison.Ordinal);
        Assert.Contains("not limited", old.Caveat, StringComparison.Ordinal);
        Assert.Contains("unit.indexOf(\"outlive-\") == 0", recent.Text, StringComparison.Ordinal);
        Assert.Contains("subject.user == \"u1\"", recent.Text, StringComparison.Ordinal);
    }
}
