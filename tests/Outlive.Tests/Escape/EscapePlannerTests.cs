using Outlive.Systemd;
using Outlive.Escape;

namespace Outlive.Tests.Escape;

public class EscapePlannerTests
{
    private static readonly UnitPlacement Service = UnitPlacement.FromCgroupPath("/system.slice/app.service");
    private static readonly UnitPlacement UserService = UnitPlacement.FromCgroupPath("/user.slice/user-1500.slice/user@1500.service/app.slice/app.service");
    private static readonly UnitPlacement Session = UnitPlacement.FromCgroupPath("/user.slice/user-1500.slice/session-3.scope");
    private static readonly UnitPlacement Init = UnitPlacement.FromCgroupPath("/init.scope");

    private static EscapePlan Decide(EscapeStrategy strategy, UnitPlacement? caller, KillMode? killMode, bool root = true, bool userBus = false, bool booted = true, bool force = false) =>
        EscapePlanner.Decide(new EscapeOptions { Strategy = strategy, Force = force }, booted, caller, killMode, root, userBus);

    [Fact]
    public void Auto_picks_setsid_when_systemd_is_not_the_init_C3()
    {
        var plan = Decide(EscapeStrategy.Auto, null, null, booted: false);
        Assert.Equal(EscapeStrategy.Setsid, plan.Strategy);
        Assert.Contains("not under systemd", plan.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("control-group")]
    [InlineData("mixed")]
    [InlineData(null)]
    public void Auto_picks_a_system_scope_for_a_root_service_whose_KillMode_kills_children_C2(string? killMode)
    {
        var plan = Decide(EscapeStrategy.Auto, Service, SystemdEnums.ParseKillMode(killMode));
        Assert.Equal(EscapeStrategy.Scope, plan.Strategy);
        Assert.Equal([ManagerKind.System], plan.Managers);
        Assert.Contains($"app.service has KillMode={killMode ?? "control-group"}", plan.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("process")]
    [InlineData("none")]
    public void Auto_picks_setsid_when_the_unit_leaves_children_alone_C4(string killMode)
    {
        var plan = Decide(EscapeStrategy.Auto, Service, SystemdEnums.ParseKillMode(killMode));
        Assert.Equal(EscapeStrategy.Setsid, plan.Strategy);
        Assert.Contains($"KillMode={killMode}: systemd signals only its main process", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_picks_setsid_in_init_scope_and_a_scope_in_a_login_session()
    {
        Assert.Equal(EscapeStrategy.Setsid, Decide(EscapeStrategy.Auto, Init, SystemdEnums.ParseKillMode("control-group")).Strategy);
        Assert.Equal(EscapeStrategy.Scope, Decide(EscapeStrategy.Auto, Session, SystemdEnums.ParseKillMode("control-group")).Strategy);
    }

    [Fact]
    public void A_user_managers_service_escapes_through_the_user_manager()
    {
        var plan = Decide(EscapeStrategy.Auto, UserService, SystemdEnums.ParseKillMode("control-group"), root: false, userBus: true);
        Assert.Equal([ManagerKind.User], plan.Managers);
    }

    [Fact]
    public void A_non_root_system_service_tries_the_system_manager_then_its_own_user_manager()
    {
        Assert.Equal([ManagerKind.System, ManagerKind.User], Decide(EscapeStrategy.Auto, Service, SystemdEnums.ParseKillMode("control-group"), root: false, userBus: true).Managers);
        Assert.Equal([ManagerKind.System], Decide(EscapeStrategy.Auto, Service, SystemdEnums.ParseKillMode("control-group"), root: false, userBus: false).Managers);
    }

    [Fact]
    public void Setsid_in_a_unit_that_kills_children_is_refused_naming_the_unit_and_the_fixes_unless_forced()
    {
        var e = Assert.Throws<EscapeRefusedException>(() => Decide(EscapeStrategy.Setsid, Service, SystemdEnums.ParseKillMode("control-group")));
        Assert.Contains("app.service", e.Message, StringComparison.Ordinal);
        Assert.Contains("outlive fix-unit app.service", e.Message, StringComparison.Ordinal);
        Assert.Contains("--force", e.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.EscapeRefused, ExitCodes.For(e));

        var forced = Decide(EscapeStrategy.Setsid, Service, SystemdEnums.ParseKillMode("control-group"), force: true);
        Assert.Equal(EscapeStrategy.Setsid, forced.Strategy);
        Assert.StartsWith("forced", forced.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Scope_or_service_without_systemd_is_an_error_that_says_to_use_setsid()
    {
        var e = Assert.Throws<SystemdUnavailableException>(() => Decide(EscapeStrategy.Service, null, null, booted: false));
        Assert.Contains("--escape setsid", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_asked_for_strategy_is_kept_even_where_setsid_would_do()
    {
        var plan = Decide(EscapeStrategy.Service, Service, SystemdEnums.ParseKillMode("process"));
        Assert.Equal(EscapeStrategy.Service, plan.Strategy);
        Assert.Equal(EscapeStrategy.Service, plan.Requested);
    }
}
