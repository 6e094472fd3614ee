using Outlive.Systemd;
using Outlive.Systemd.DBus;

namespace Outlive.Diagnosis;

/// <summary>What to do so a child outlives the examined process, as an exact command.</summary>
/// <param name="Strategy">The escape the command uses.</param>
/// <param name="Command">What to run, e.g. <c>outlive run --escape scope -- PROGRAM [ARGS...]</c>.</param>
/// <param name="Reason">Why this one, in a line.</param>
internal sealed record Recommendation(EscapeStrategy Strategy, string Command, string Reason);

/// <summary>Everything <see cref="Doctor"/> found about one process and what it means for its children.</summary>
/// <param name="Pid">The process examined (the unit's MainPID when examined by unit).</param>
/// <param name="Command">Its comm.</param>
/// <param name="Home">Where it lives: cgroup, unit, KillMode, session, linger, permission.</param>
/// <param name="ManagerVersion">The version of the manager owning its unit; null when that manager did not answer.</param>
/// <param name="Status">Its unit's properties (KillMode, SendSIGKILL, User, Delegate, MainPID); null when unread.</param>
/// <param name="ManagerProblem">Why the manager could not be asked, when it could not.</param>
/// <param name="Verdicts">setsid, scope and service, in that order.</param>
/// <param name="Auto">What <c>--escape auto</c> would do: its strategy's verdict, or (Strategy auto) its refusal.</param>
/// <param name="Recommended">The most isolated way that works, or the fix when none does.</param>
/// <param name="UnitFixCommand">The <c>outlive fix-unit</c> command, when the unit's KillMode kills setsid children and a drop-in can change it.</param>
/// <param name="PolkitRule">A rule that would let the process create transient units, for a non-root process the system manager refuses.</param>
/// <param name="ChildWouldSurvive">Whether a child started by <c>outlive run</c> (auto) now survives everything that matters here.</param>
/// <param name="OrphanReaper">Where an orphan of the calling process lands (only when the caller examined itself).</param>
internal sealed record DoctorReport(
    int Pid,
    string Command,
    Residence Home,
    string? ManagerVersion,
    UnitStatus? Status,
    string? ManagerProblem,
    IReadOnlyList<Verdict> Verdicts,
    Verdict Auto,
    IReadOnlyList<Hazard> Hazards,
    Recommendation Recommended,
    string? UnitFixCommand,
    PolkitRule? PolkitRule,
    bool ChildWouldSurvive,
    (int Pid, string Command)? OrphanReaper)
{
    public uint Uid => Home.Uid;

    public bool SystemdBooted => Home.Kind != ResidenceKind.NoSystemd;

    public UnitPlacement? Placement => Home.Placement;

    /// <summary>The unit systemd (or logind, for a session) would end; null at the root, in init.scope or outside systemd.</summary>
    public string? Unit => Home.Unit;
}
