using Outlive.Diagnosis;
using Outlive.Systemd;
using Outlive.Systemd.DBus;
using Outlive.Escape;

namespace Outlive.Tests.Diagnosis;

public class DoctorConclusionTests
{
    private static DoctorReport Conclude(KillMode mode, bool mayCreateUnits, string cgroup = "/system.slice/app.service")
    {
        UnitPlacement placement = UnitPlacement.FromCgroupPath(cgroup);
        var status = new UnitStatus(placement.Unit!, "loaded", "active", "running", cgroup, mode, true, false, 42, mayCreateUnits ? null : "nobody", null, null);
        return Doctor.Conclude(42, "app", mayCreateUnits ? 0u : 65534u, true, placement, "252", placement.Unit, status, null,
            new TransientUnitPermission(mayCreateUnits, "test"), [], null);
    }

    [Fact]
    public void A_control_group_unit_whose_process_may_create_units_gets_a_scope_and_the_unit_fix_as_second_choice()
    {
        DoctorReport report = Conclude(KillMode.ControlGroup, mayCreateUnits: true);

        Assert.Equal(EscapeStrategy.Scope, report.Recommended.Strategy);
        Assert.Equal("outlive run --escape scope -- PROGRAM [ARGS...]", report.Recommended.Command);
        Assert.Equal("outlive fix-unit app.service", report.UnitFixCommand);
        Assert.True(report.ChildWouldSurvive);
        Assert.Equal(EscapeStrategy.Scope, report.AutoStrategy);
    }

    [Fact]
    public void A_control_group_unit_whose_process_may_not_create_units_gets_the_unit_fix_and_no_survival()
    {
        DoctorReport report = Conclude(KillMode.ControlGroup, mayCreateUnits: false);

        Assert.StartsWith("outlive fix-unit app.service", report.Recommended.Command, StringComparison.Ordinal);
        Assert.False(report.ChildWouldSurvive);
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
    public void A_user_unit_gets_the_user_form_of_the_fix()
    {
        DoctorReport report = Conclude(KillMode.Mixed, mayCreateUnits: false, "/user.slice/user-1000.slice/user@1000.service/app.slice/web.service");

        Assert.Equal("outlive fix-unit --user web.service", report.UnitFixCommand);
    }
}
