using Outlive.Systemd;
using Outlive.Escape;
using static Outlive.Tests.Support.Homes;

namespace Outlive.Tests.Escape;

public class EscapePlannerTests
{
    private static EscapePlan Decide(EscapeStrategy strategy, Residence home, bool force = false) =>
        EscapePlanner.Decide(new EscapeOptions { Strategy = strategy, Force = force }, home);

    private static KillMode? Mode(string? killMode) => SystemdEnums.ParseKillMode(killMode);

    [Fact]
    public void Auto_picks_setsid_when_systemd_is_not_the_init_C3()
    {
        var plan = Decide(EscapeStrategy.Auto, At(null, booted: false));
        Assert.Equal(EscapeStrategy.Setsid, plan.Strategy);
        Assert.Contains("not under systemd", plan.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("control-group")]
    [InlineData("mixed")]
    [InlineData(null)]
    public void Auto_picks_a_system_scope_for_a_root_service_whose_KillMode_kills_children_C2(string? killMode)
    {
        var plan = Decide(EscapeStrategy.Auto, At(Service, Mode(killMode)));
        Assert.Equal(EscapeStrategy.Scope, plan.Strategy);
        Assert.Equal([ManagerKind.System], plan.Managers);
        Assert.Contains($"KillMode={killMode ?? "control-group"}", plan.Reason, StringComparison.Ordinal);
        Assert.Contains("app.service", plan.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("process")]
    [InlineData("none")]
    public void Auto_picks_setsid_when_the_unit_leaves_children_alone_C4(string killMode)
    {
        var plan = Decide(EscapeStrategy.Auto, At(Service, Mode(killMode)));
        Assert.Equal(EscapeStrategy.Setsid, plan.Strategy);
        Assert.StartsWith($"KillMode={killMode}: ", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_picks_setsid_in_init_scope()
    {
        Assert.Equal(EscapeStrategy.Setsid, Decide(EscapeStrategy.Auto, At(Init, Mode("control-group"))).Strategy);
    }

    [Fact]
    public void In_a_session_that_logind_abandons_at_logout_auto_picks_setsid_and_says_why_even_with_a_user_manager_at_hand()
    {
        var plan = Decide(EscapeStrategy.Auto, At(Session, uid: 1500, systemAllows: false, lingers: false, userManager: true, logout: KeepsSessions));

        Assert.Equal(EscapeStrategy.Setsid, plan.Strategy);
        Assert.Contains("logind abandons session-c3.scope at logout (KillUserProcesses=no)", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void In_a_session_that_logind_kills_auto_takes_the_system_manager_when_polkit_allows()
    {
        var plan = Decide(EscapeStrategy.Auto, At(Session, uid: 1500, systemAllows: true, lingers: false, userManager: true, logout: KillsSessions));

        Assert.Equal(EscapeStrategy.Scope, plan.Strategy);
        Assert.Equal([ManagerKind.System], plan.Managers);
    }

    [Fact]
    public void In_a_session_that_logind_kills_auto_takes_the_user_manager_only_when_the_user_lingers()
    {
        var plan = Decide(EscapeStrategy.Auto, At(Session, uid: 1500, systemAllows: false, lingers: true, logout: KillsSessions));

        Assert.Equal(EscapeStrategy.Scope, plan.Strategy);
        Assert.Equal([ManagerKind.User], plan.Managers);
        Assert.Contains("in u1's manager", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void In_a_session_that_logind_kills_without_linger_or_polkit_auto_refuses_before_running_naming_linger_and_polkit()
    {
        var e = Assert.Throws<EscapeRefusedException>(() =>
            Decide(EscapeStrategy.Auto, At(Session, uid: 1500, systemAllows: false, lingers: false, userManager: true, logout: KillsSessions)));

        Assert.Contains("nothing started", e.Message, StringComparison.Ordinal);
        Assert.Contains("loginctl enable-linger u1", e.Message, StringComparison.Ordinal);
        Assert.Contains("polkit", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("fix-unit", e.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.EscapeRefused, ExitCodes.For(e));
    }

    [Fact]
    public void A_session_whose_logind_does_not_answer_counts_as_killed_at_logout()
    {
        Assert.Throws<EscapeRefusedException>(() => Decide(EscapeStrategy.Auto, At(Session, uid: 1500, systemAllows: false, lingers: false, logout: null)));
    }

    [Fact]
    public void Root_is_excluded_from_session_killing_by_default_so_setsid_is_enough_for_root()
    {
        Assert.Equal(EscapeStrategy.Setsid, Decide(EscapeStrategy.Auto, At(Session, logout: KillsSessions)).Strategy);
    }

    [Fact]
    public void Setsid_asked_for_in_a_session_that_logind_kills_is_refused_with_the_linger_hint_unless_forced()
    {
        Residence home = At(Session, uid: 1500, lingers: false, logout: KillsSessions);
        var e = Assert.Throws<EscapeRefusedException>(() => Decide(EscapeStrategy.Setsid, home));
        Assert.Contains("loginctl enable-linger u1", e.Message, StringComparison.Ordinal);
        Assert.Equal(EscapeStrategy.Setsid, Decide(EscapeStrategy.Setsid, home, force: true).Strategy);
    }

    [Fact]
    public void A_user_managers_service_escapes_through_the_user_manager_linger_or_not()
    {
        Assert.Equal([ManagerKind.User], Decide(EscapeStrategy.Auto, At(UserService, Mode("control-group"), uid: 1500, lingers: false, userManager: true)).Managers);
        Assert.Equal([ManagerKind.User], Decide(EscapeStrategy.Auto, At(UserService, Mode("control-group"), uid: 1500, lingers: true)).Managers);
    }

    [Fact]
    public void A_non_root_system_service_tries_the_system_manager_then_its_user_manager_only_if_the_user_lingers()
    {
        Assert.Equal([ManagerKind.System, ManagerKind.User], Decide(EscapeStrategy.Auto, At(Service, Mode("control-group"), uid: 1500, lingers: true)).Managers);
        // A user manager that stops with the user's last session would trade one death for another.
        Assert.Equal([ManagerKind.System], Decide(EscapeStrategy.Auto, At(Service, Mode("control-group"), uid: 1500, lingers: false, userManager: true)).Managers);
        Assert.Equal([ManagerKind.User], Decide(EscapeStrategy.Auto, At(Service, Mode("control-group"), uid: 1500, systemAllows: false, lingers: true)).Managers);
    }

    [Fact]
    public void A_non_root_system_service_with_neither_polkit_nor_linger_is_refused_naming_every_fix()
    {
        var e = Assert.Throws<EscapeRefusedException>(() =>
            Decide(EscapeStrategy.Auto, At(Service, Mode("control-group"), uid: 1500, systemAllows: false, lingers: false, userManager: true)));
        Assert.Contains("outlive fix-unit app.service", e.Message, StringComparison.Ordinal);
        Assert.Contains("loginctl enable-linger u1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_explicit_scope_still_uses_a_running_user_manager_without_linger()
    {
        Assert.Equal([ManagerKind.System, ManagerKind.User], Decide(EscapeStrategy.Scope, At(Service, Mode("control-group"), uid: 1500, lingers: false, userManager: true)).Managers);
        Assert.Equal([ManagerKind.System], Decide(EscapeStrategy.Scope, At(Service, Mode("control-group"), uid: 1500, lingers: false)).Managers);
    }

    [Fact]
    public void Setsid_in_a_unit_that_kills_children_is_refused_naming_the_unit_and_the_fixes_unless_forced()
    {
        var e = Assert.Throws<EscapeRefusedException>(() => Decide(EscapeStrategy.Setsid, At(Service, Mode("control-group"))));
        Assert.Contains("app.service", e.Message, StringComparison.Ordinal);
        Assert.Contains("outlive fix-unit app.service", e.Message, StringComparison.Ordinal);
        Assert.Contains("--force", e.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.EscapeRefused, ExitCodes.For(e));

        var forced = Decide(EscapeStrategy.Setsid, At(Service, Mode("control-group")), force: true);
        Assert.Equal(EscapeStrategy.Setsid, forced.Strategy);
        Assert.StartsWith("forced", forced.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Scope_or_service_without_systemd_is_an_error_that_says_to_use_setsid()
    {
        var e = Assert.Throws<SystemdUnavailableException>(() => Decide(EscapeStrategy.Service, At(null, booted: false)));
        Assert.Contains("--escape setsid", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_asked_for_strategy_is_kept_even_where_setsid_would_do()
    {
        var plan = Decide(EscapeStrategy.Service, At(Service, Mode("process")));
        Assert.Equal(EscapeStrategy.Service, plan.Strategy);
        Assert.Equal(EscapeStrategy.Service, plan.Requested);
    }
}
