using Outlive.Systemd;

namespace Outlive.Escape;

/// <summary>
/// What happens to a child, by where its parent lives (<see cref="Residence"/>) and how it was started. The rules
/// the survival matrix shows on systemd 252 (docs/survival-matrix.md):
/// <list type="bullet">
/// <item>a setsid child shares its parent's cgroup, so it lives exactly when the unit's KillMode leaves the rest of
/// the cgroup alone (process, none);</item>
/// <item>in a login session, logind abandons the session's scope at logout (the child lives on in it), or kills it
/// (KillUserProcesses=yes and friends);</item>
/// <item>a scope or service child is in a unit of its own: on the system manager it lives through all of that; in a
/// user's manager it lives as long as that manager, which stops with the user's last session unless they linger.</item>
/// </list>
/// </summary>
internal static class SurvivalRules
{
    /// <param name="home">Where the parent lives.</param>
    /// <param name="strategy">setsid, scope or service (not auto).</param>
    /// <param name="via">For scope and service: the manager that makes the unit; null when none can.</param>
    internal static Verdict For(Residence home, EscapeStrategy strategy, ManagerKind? via)
    {
        if (strategy == EscapeStrategy.Setsid)
            return Setsid(home);
        string kind = Words.Of(strategy);
        if (home.Kind == ResidenceKind.NoSystemd)
            return Dies(strategy, "systemd is not the init here: there is no manager to create units");
        if (via is null)
            return Dies(strategy, NoManagerReason(home));
        string outside = home.Kind == ResidenceKind.Session ? $"outside {home.Unit}, which logout may kill" : $"outside {home.Unit ?? "the caller's unit"}";
        if (via == ManagerKind.System)
            return Lives(strategy, $"its own transient {kind} on the system manager is {outside}: nothing that happens to the parent touches it");
        bool lingers = home.Lingers == true;
        return new Verdict(strategy, true, true, true, lingers
            ? $"its own transient {kind} in {home.UserName}'s manager is {outside}, and that manager stays up ({home.UserName} lingers)"
            : $"its own transient {kind} in {home.UserName}'s manager is {outside}, but that manager stops when {home.UserName}'s last session ends (no linger: loginctl enable-linger {home.UserName})")
        {
            SurvivesLogout = lingers,
        };
    }

    /// <summary>Whether a verdict keeps every promise needed here. In a user unit without linger the parent's own manager stops at logout, so a child is not asked to outlive that.</summary>
    internal static bool IsEnough(Residence home, Verdict verdict) =>
        verdict.SurvivesStop && verdict.SurvivesRestart && verdict.SurvivesCrash
        && (verdict.SurvivesLogout || (home.Kind == ResidenceKind.UserUnit && home.Lingers != true));

    static Verdict Setsid(Residence home)
    {
        var setsid = EscapeStrategy.Setsid;
        switch (home.Kind)
        {
            case ResidenceKind.NoSystemd or ResidenceKind.NoUnit:
                return Lives(setsid, "not in a unit that systemd stops: nothing kills it");
            case ResidenceKind.Session:
                string rule = home.LogoutPolicy?.Explain(home.UserName) ?? $"logind's kill policy is unknown: {home.LogindProblem ?? "not asked"}";
                return home.SessionKilledAtLogout
                    ? new Verdict(setsid, true, true, true, $"logind kills what is left in {home.Unit} at logout ({rule})") { SurvivesLogout = false }
                    : Lives(setsid, $"logind abandons {home.Unit} at logout ({rule}): the child lives on in it (loginctl terminate-session would still kill it)");
        }
        string unit = home.Unit!;
        bool logout = home.Kind != ResidenceKind.UserUnit || home.Lingers == true;
        string afterLogout = logout ? "" : $"; and {home.UserName}'s manager stops at their last logout (no linger)";
        KillMode mode = home.KillMode ?? KillMode.ControlGroup;
        (bool lives, string why) = mode switch
        {
            KillMode.Process => (true, $"KillMode=process: only the main process is signalled; the child stays in {unit}'s cgroup"),
            KillMode.None => (true, "KillMode=none: nothing is killed, and nothing is cleaned up either"),
            KillMode.Mixed => (false, $"KillMode=mixed: the rest of {unit}'s cgroup gets SIGKILL"),
            _ => (false, $"KillMode={mode.ToSystemdString()}: every process left in {unit}'s cgroup is killed, setsid or not"),
        };
        return new Verdict(setsid, lives, lives, lives, why + afterLogout) { SurvivesLogout = logout };
    }

    static string NoManagerReason(Residence home)
    {
        if (home.Kind == ResidenceKind.UserUnit)
            return $"{home.UserName}'s manager, where the parent lives, does not answer";
        string user = home.UserManagerReachable ? "" : $", and {home.UserName}'s manager is not running (loginctl enable-linger {home.UserName} starts it)";
        return $"may not create transient units on the system manager ({home.PermissionWhy}){user}";
    }

    static Verdict Lives(EscapeStrategy strategy, string reason) => new(strategy, true, true, true, reason);

    static Verdict Dies(EscapeStrategy strategy, string reason) => new(strategy, false, false, false, reason) { SurvivesLogout = false };
}
