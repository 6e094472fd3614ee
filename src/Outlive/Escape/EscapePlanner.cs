using Outlive.Interop;
using Outlive.Procfs;
using Outlive.Systemd;

namespace Outlive.Escape;

/// <summary>
/// Decides how a child started from this process escapes, from where this process lives (<see cref="Residence"/>):
/// auto never picks a strategy that dies where another would live, and refuses before anything runs when none lives.
/// </summary>
internal static class EscapePlanner
{
    /// <summary>Reads where this process lives and decides.</summary>
    public static async Task<EscapePlan> PlanAsync(EscapeOptions options, CancellationToken cancellationToken = default)
    {
        // A mistyped property is the caller's mistake wherever this runs: said before anything is asked of anyone.
        foreach (string assignment in options.Properties)
            Systemd.DBus.PropertyAssignment.From(assignment);
        int pid = Environment.ProcessId;
        uint uid = Libc.getuid();
        ulong startTime = ProcStat.TryRead(pid)?.StartTimeTicks ?? 0;
        // A transient unit asked for by name is made whatever the caller's KillMode: not asked then.
        OwnUnitFacts ownUnit = options.Strategy is EscapeStrategy.Scope or EscapeStrategy.Service ? OwnUnitFacts.None : OwnUnitFacts.KillMode;
        Residence home = await Residence.ReadAsync(pid, uid, startTime, askPolkit: false, cancellationToken, ownUnit).ConfigureAwait(false);
        // A session whose logout kills it, of a user who does not linger: only the system manager keeps a child, and
        // whether it will is polkit's to say, asked now so that a refusal comes before anything runs.
        if (options.Strategy == EscapeStrategy.Auto && home.Kind == ResidenceKind.Session && home.SessionKilledAtLogout && home.Lingers != true && uid != 0)
            home = await home.AskPolkitAsync(pid, startTime, cancellationToken).ConfigureAwait(false);
        return Decide(options, home);
    }

    /// <summary>Where this process lives, polkit not asked; <paramref name="ownUnit"/> says what to ask of its unit.</summary>
    public static Task<Residence> ReadHomeAsync(OwnUnitFacts ownUnit, CancellationToken cancellationToken = default)
    {
        int pid = Environment.ProcessId;
        return Residence.ReadAsync(pid, Libc.getuid(), ProcStat.TryRead(pid)?.StartTimeTicks ?? 0, askPolkit: false, cancellationToken, ownUnit);
    }

    /// <summary>The decision itself, free of I/O.</summary>
    public static EscapePlan Decide(EscapeOptions options, Residence home)
    {
        EscapeStrategy requested = options.Strategy;
        if (home.Kind == ResidenceKind.NoSystemd)
        {
            if (requested is EscapeStrategy.Scope or EscapeStrategy.Service)
                throw new SystemdUnavailableException($"--escape {Words.Of(requested)} needs systemd, and systemd is not the init here (no /run/systemd/system): use --escape setsid");
            return Plan(EscapeStrategy.Setsid, "not under systemd (no /run/systemd/system): setsid is enough");
        }

        Verdict setsid = SurvivalRules.For(home, EscapeStrategy.Setsid, null);
        bool setsidLives = SurvivalRules.IsEnough(home, setsid);
        switch (requested)
        {
            case EscapeStrategy.Setsid when !setsidLives && !options.Force:
                throw new EscapeRefusedException(home.Kind == ResidenceKind.Session
                    ? $"{setsid.Reason}: a setsid child dies then; use --escape auto (it escapes where it can), run 'loginctl enable-linger {home.UserName}', or add --force to start it anyway"
                    : $"{home.Unit} has KillMode={(home.KillMode ?? KillMode.ControlGroup).ToSystemdString()}: a setsid child dies when it stops, restarts or its main process dies; " +
                      $"use --escape scope, run 'outlive fix-unit {home.Unit}', or add --force to start it anyway");
            case EscapeStrategy.Setsid:
                return Plan(EscapeStrategy.Setsid, setsidLives ? setsid.Reason : $"forced: {setsid.Reason}");
            case EscapeStrategy.Scope or EscapeStrategy.Service:
                return Plan(requested, $"asked for a transient {Words.Of(requested)}", options.Manager is { } asked ? [asked] : ExplicitManagers(home));
        }

        if (setsidLives)
            return Plan(EscapeStrategy.Setsid, setsid.Reason);
        // Asked for one manager (--user, --system): that one, as systemd-run would.
        IReadOnlyList<ManagerKind> managers = options.Manager is { } only ? [only] : ManagersThatKeepIt(home);
        if (managers.Count == 0)
            throw new EscapeRefusedException(NothingLives(home, []));
        string where = managers[0] == ManagerKind.User ? $" in {home.UserName}'s manager" : "";
        return Plan(EscapeStrategy.Scope, $"{setsid.Reason}: the child gets its own scope{where}", managers);

        EscapePlan Plan(EscapeStrategy strategy, string reason, IReadOnlyList<ManagerKind>? via = null) =>
            new(strategy, requested, via ?? [], reason, home);
    }

    /// <summary>
    /// The managers whose transient unit keeps every promise needed here, in the order to ask them: the system manager
    /// unless it is known to refuse (an unasked polkit is asked by the start itself), then the user's own manager when
    /// it outlives the user's sessions (linger) — or always, for a parent that lives in it.
    /// </summary>
    internal static IReadOnlyList<ManagerKind> ManagersThatKeepIt(Residence home)
    {
        if (home.Kind == ResidenceKind.UserUnit)
            return [ManagerKind.User];
        var managers = new List<ManagerKind>();
        if (home.SystemManagerAllows != false)
            managers.Add(ManagerKind.System);
        if (home.Uid != 0 && (home.UserManagerReachable || home.Lingers == true)
            && SurvivalRules.IsEnough(home, SurvivalRules.For(home, EscapeStrategy.Scope, ManagerKind.User)))
            managers.Add(ManagerKind.User);
        return managers;
    }

    /// <summary>The manager a transient unit would be made on, as far as known (an unasked polkit counts as yes); null when none would take it.</summary>
    internal static ManagerKind? ManagerForUnit(Residence home)
    {
        if (home.Kind == ResidenceKind.NoSystemd)
            return null;
        if (home.Kind == ResidenceKind.UserUnit)
            return ManagerKind.User;
        if (home.SystemManagerAllows != false)
            return ManagerKind.System;
        return home.UserManagerReachable || home.Lingers == true ? ManagerKind.User : null;
    }

    /// <summary>
    /// For --escape scope/service: root asks the manager of its own unit; anyone else the system manager first (polkit
    /// may allow it), then their own manager if it listens, whether or not it outlives their sessions.
    /// </summary>
    static IReadOnlyList<ManagerKind> ExplicitManagers(Residence home)
    {
        if (home.Kind == ResidenceKind.UserUnit)
            return [ManagerKind.User];
        if (home.Uid == 0 || !(home.UserManagerReachable || home.Lingers == true))
            return [ManagerKind.System];
        return [ManagerKind.System, ManagerKind.User];
    }

    /// <summary>Why auto started nothing, and what would let it: the fixes that work for this place.</summary>
    internal static string NothingLives(Residence home, IReadOnlyList<string> refusals)
    {
        Verdict setsid = SurvivalRules.For(home, EscapeStrategy.Setsid, null);
        string asked = refusals.Count > 0 ? string.Join("; ", refusals.Select(r => r.TrimEnd('.'))) : SurvivalRules.For(home, EscapeStrategy.Scope, null).Reason;
        return $"nothing started: a setsid child would die ({setsid.Reason}), and no transient unit that outlives it could be made ({asked}); fix: {Fixes(home)}";
    }

    /// <summary>What makes a child live here, in the order to try: never a unit fix for a scope (a session's or a transient one).</summary>
    internal static string Fixes(Residence home)
    {
        var fixes = new List<string>();
        if (home.Kind == ResidenceKind.SystemUnit && UnitName.TypeOf(home.Unit!) is not "scope")
            fixes.Add($"'outlive fix-unit {home.Unit}' (KillMode=process)");
        if (home.Uid != 0)
        {
            fixes.Add($"'loginctl enable-linger {home.UserName}' (their manager then stays up and takes the child)");
            fixes.Add($"a polkit rule allowing {home.UserName} {TransientUnitPermission.ManageUnitsAction} (see outlive doctor)");
        }
        return fixes.Count == 0 ? "see outlive doctor" : string.Join(", or ", fixes);
    }
}
