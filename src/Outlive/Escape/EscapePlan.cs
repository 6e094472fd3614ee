using Outlive.Systemd;

namespace Outlive.Escape;

/// <summary>
/// What a start will do and why. <see cref="Managers"/> lists the managers to ask for a transient unit,
/// in order (a non-root caller of a system service may be refused by the system manager and accepted
/// by its own user manager).
/// </summary>
/// <param name="Home">Where the caller lives, as the plan was made from it.</param>
internal sealed record EscapePlan(
    EscapeStrategy Strategy,
    EscapeStrategy Requested,
    IReadOnlyList<ManagerKind> Managers,
    string Reason,
    Residence Home);
