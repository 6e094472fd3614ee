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
/// <param name="Uid">Its real uid.</param>
/// <param name="SystemdBooted">Whether systemd is the init (sd_booted).</param>
/// <param name="Placement">Its cgroup and unit; null outside systemd.</param>
/// <param name="ManagerVersion">The version of the manager owning its unit; null when that manager did not answer.</param>
/// <param name="Unit">The unit systemd would stop (null at the root, in init.scope or outside systemd).</param>
/// <param name="Status">That unit's properties (KillMode, SendSIGKILL, User, Delegate, MainPID); null when unread.</param>
/// <param name="ManagerProblem">Why the manager could not be asked, when it could not.</param>
/// <param name="Permission">Whether the process may create transient units.</param>
/// <param name="Verdicts">setsid, scope and service, in that order.</param>
/// <param name="AutoStrategy">What <c>--escape auto</c> would pick for a child of this process.</param>
/// <param name="Recommended">The most isolated way that works, or the unit fix when none does.</param>
/// <param name="UnitFixCommand">The <c>outlive fix-unit</c> command for the unit, when its KillMode kills setsid children.</param>
/// <param name="ChildWouldSurvive">Whether a child started the recommended way survives stop, restart and crash.</param>
/// <param name="OrphanReaper">Where an orphan of the calling process lands (only when the caller examined itself).</param>
internal sealed record DoctorReport(
    int Pid,
    string Command,
    uint Uid,
    bool SystemdBooted,
    UnitPlacement? Placement,
    string? ManagerVersion,
    string? Unit,
    UnitStatus? Status,
    string? ManagerProblem,
    TransientUnitPermission Permission,
    IReadOnlyList<Verdict> Verdicts,
    EscapeStrategy AutoStrategy,
    IReadOnlyList<Hazard> Hazards,
    Recommendation Recommended,
    string? UnitFixCommand,
    bool ChildWouldSurvive,
    (int Pid, string Command)? OrphanReaper);
