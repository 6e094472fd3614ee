using System.Globalization;
using Outlive.Interop;
using Outlive.Systemd.DBus;

namespace Outlive.Systemd;

/// <summary>What kind of place a process lives in, as far as who may kill it.</summary>
internal enum ResidenceKind
{
    /// <summary>systemd is not the init: nothing stops the process's group.</summary>
    NoSystemd,

    /// <summary>At the root, in a bare slice or in PID 1's init.scope: nothing stops it.</summary>
    NoUnit,

    /// <summary>A unit of the system manager (service, scope, …) other than a login session.</summary>
    SystemUnit,

    /// <summary>A unit of a user's manager, which itself stops when that user's last session ends unless they linger.</summary>
    UserUnit,

    /// <summary>A login session's <c>session-ID.scope</c>, ended by logind at logout.</summary>
    Session,
}

/// <summary>How much <see cref="Residence.ReadAsync"/> asks the manager about the process's own unit.</summary>
internal enum OwnUnitFacts
{
    /// <summary>Nothing: a decision that does not hang on the unit's KillMode (a transient unit asked for by name).</summary>
    None,

    /// <summary>Its KillMode alone, one small call: all that auto and setsid decide by.</summary>
    KillMode,

    /// <summary>Its whole status (<see cref="Residence.UnitStatus"/>), for doctor.</summary>
    Status,
}

/// <summary>
/// Where a process lives and who stops it: the one model <c>run</c> (auto), <c>doctor</c>, <c>tree</c> and the
/// survival matrix use. The facts are read once by <see cref="ReadAsync"/>; what they mean for a child is
/// <c>SurvivalRules</c>' business.
/// </summary>
/// <param name="Kind">The kind of place.</param>
/// <param name="Placement">Its cgroup and unit; null outside systemd or when the cgroup cannot be read.</param>
/// <param name="Unit">The unit whose stop (or, for a session, logout) can kill the process; null for the first two kinds.</param>
/// <param name="KillMode">That unit's KillMode; null when unread (taken as systemd's default, control-group) or for a session.</param>
/// <param name="Uid">The process's real uid.</param>
/// <param name="UserName">Its user's name (the uid as text when it has no passwd entry).</param>
/// <param name="Session">For <see cref="ResidenceKind.Session"/>: what logind says of the session; null when logind did not answer.</param>
/// <param name="LogoutPolicy">logind's kill policy, for a session; null when not asked or logind did not answer (taken as: kills).</param>
/// <param name="Lingers">Whether the user lingers (their manager outlives their sessions); null when not asked (root) or unknown.</param>
/// <param name="UserManagerReachable">Whether the user's manager listens (<c>/run/user/UID/bus</c> or the session's bus).</param>
/// <param name="SystemManagerAllows">Whether the system manager takes transient units from the process: true for root, polkit's answer otherwise, null when not asked.</param>
/// <param name="PermissionWhy">How <paramref name="SystemManagerAllows"/> was decided.</param>
internal sealed record Residence(
    ResidenceKind Kind,
    UnitPlacement? Placement,
    string? Unit,
    KillMode? KillMode,
    uint Uid,
    string UserName,
    LoginSession? Session,
    LogindPolicy? LogoutPolicy,
    bool? Lingers,
    bool UserManagerReachable,
    bool? SystemManagerAllows,
    string PermissionWhy)
{
    /// <summary>The unit's properties as read for <see cref="KillMode"/> (a system or user unit); null when unread.</summary>
    public UnitStatus? UnitStatus { get; init; }

    /// <summary>Why logind could not be asked, when it could not (its facts are then taken at their worst).</summary>
    public string? LogindProblem { get; init; }

    /// <summary>Whether logind kills what is left in this session at logout (unknown counts as yes: never promise what may not hold).</summary>
    public bool SessionKilledAtLogout => Kind == ResidenceKind.Session && (LogoutPolicy?.KillsSessionsOf(UserName) ?? true);

    /// <summary>The kind, unit and KillMode for a placement, with no D-Bus facts (unit tests, and the start of <see cref="ReadAsync"/>).</summary>
    public static Residence Of(bool systemdBooted, UnitPlacement? placement, KillMode? killMode, uint uid, string? userName = null)
    {
        ResidenceKind kind = KindOf(systemdBooted, placement);
        // The name is for logind (linger, KillOnlyUsers) and messages about units: where nothing stops the process, no
        // user database is read (nsswitch and /etc/passwd cost more than the rest of a plan there).
        userName ??= uid == 0 ? "root" : kind is ResidenceKind.NoSystemd or ResidenceKind.NoUnit ? uid.ToString(CultureInfo.InvariantCulture) : NameOf(uid);
        return new(kind, placement, StoppableUnit(systemdBooted, placement), killMode, uid,
            userName, null, null, null, false, uid == 0 ? true : null,
            uid == 0 ? "root: the system manager accepts StartTransientUnit from uid 0" : "not asked");
    }

    /// <summary>
    /// Reads where <paramref name="pid"/> lives: its cgroup, what <paramref name="ownUnit"/> says of its unit (KillMode
    /// unread is taken as control-group), and for a non-root process or a session what logind says (policy, session,
    /// linger). With <paramref name="askPolkit"/>, a non-root process outside a user unit also gets polkit's answer for
    /// transient units.
    /// </summary>
    public static async Task<Residence> ReadAsync(
        int pid, uint uid, ulong startTimeTicks, bool askPolkit, CancellationToken cancellationToken, OwnUnitFacts ownUnit = OwnUnitFacts.Status)
    {
        bool booted = SystemdInit.IsBooted();
        UnitPlacement? placement = booted ? UnitPlacement.TryRead(pid) : null;
        Residence home = Of(booted, placement, null, uid);
        // Nothing stops such a process: a setsid child is as safe as it gets, with no question asked of anyone.
        if (home.Kind is ResidenceKind.NoSystemd or ResidenceKind.NoUnit)
            return home;

        if (home.Kind is ResidenceKind.SystemUnit or ResidenceKind.UserUnit && ownUnit == OwnUnitFacts.Status)
        {
            UnitStatus? status = await TryReadStatusAsync(placement!, uid, home.Unit!, cancellationToken).ConfigureAwait(false);
            home = home with { KillMode = status?.KillMode, UnitStatus = status };
        }
        else if (home.Kind is ResidenceKind.SystemUnit or ResidenceKind.UserUnit && ownUnit == OwnUnitFacts.KillMode)
        {
            home = home with { KillMode = await TryReadKillModeAsync(placement!, uid, home.Unit!, cancellationToken).ConfigureAwait(false) };
        }
        if (home.Kind == ResidenceKind.Session)
        {
            string id = Logind.SessionIdOf(home.Unit)!;
            try
            {
                home = home with
                {
                    LogoutPolicy = await Logind.GetPolicyAsync(cancellationToken).ConfigureAwait(false),
                    Session = await Logind.TryGetSessionAsync(id, cancellationToken).ConfigureAwait(false),
                };
            }
            catch (OutliveException e)
            {
                home = home with { LogindProblem = e.Message };
            }
        }
        if (uid != 0)
        {
            home = home with
            {
                UserManagerReachable = UserManagerListens(uid),
            };
            try
            {
                home = home with { Lingers = await Logind.LingersAsync(uid, home.UserName, cancellationToken).ConfigureAwait(false) };
            }
            catch (OutliveException e)
            {
                home = home with { LogindProblem = e.Message };
            }
        }
        return askPolkit ? await home.AskPolkitAsync(pid, startTimeTicks, cancellationToken).ConfigureAwait(false) : home;
    }

    /// <summary>This residence with polkit's answer to whether the process may create transient units on the system manager.</summary>
    public async Task<Residence> AskPolkitAsync(int pid, ulong startTimeTicks, CancellationToken cancellationToken)
    {
        if (Uid == 0 || Kind == ResidenceKind.NoSystemd)
            return this;
        TransientUnitPermission permission = await TransientUnitPermission.CheckAsync(pid, Uid, startTimeTicks, Placement, cancellationToken).ConfigureAwait(false);
        return this with { SystemManagerAllows = permission.Allowed, PermissionWhy = permission.Why };
    }

    /// <summary>
    /// Whether the user manager of <paramref name="uid"/> listens: the caller's own bus address (session variables)
    /// when it is that user, else <c>/run/user/UID/bus</c>, where a <c>User=</c> service finds it too.
    /// </summary>
    public static bool UserManagerListens(uint uid)
    {
        if (uid == Libc.getuid())
        {
            try
            {
                string address = SystemdBus.User().Address;
                return !address.StartsWith("unix:path=", StringComparison.Ordinal) || File.Exists(address["unix:path=".Length..]);
            }
            catch (SystemdUnavailableException)
            {
                return false;
            }
        }
        return File.Exists($"/run/user/{uid.ToString(CultureInfo.InvariantCulture)}/bus");
    }

    static ResidenceKind KindOf(bool booted, UnitPlacement? placement)
    {
        if (!booted)
            return ResidenceKind.NoSystemd;
        if (StoppableUnit(booted, placement) is not { } unit)
            return ResidenceKind.NoUnit;
        if (placement!.Manager == ManagerKind.User)
            return ResidenceKind.UserUnit;
        return Logind.SessionIdOf(unit) is not null && placement.UserId is not null ? ResidenceKind.Session : ResidenceKind.SystemUnit;
    }

    /// <summary>The unit a stop would come from: none at the root, in a bare slice, or in PID 1's init.scope.</summary>
    static string? StoppableUnit(bool booted, UnitPlacement? placement) =>
        booted && placement?.Unit is { } unit && !(unit == "init.scope" && placement.Manager == ManagerKind.System) ? unit : null;

    static async Task<UnitStatus?> TryReadStatusAsync(UnitPlacement placement, uint uid, string unit, CancellationToken cancellationToken)
    {
        try
        {
            return await DBusClient.For(BusOf(placement, uid)).TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false);
        }
        catch (OutliveException)
        {
            return null;
        }
    }

    static async Task<KillMode?> TryReadKillModeAsync(UnitPlacement placement, uint uid, string unit, CancellationToken cancellationToken)
    {
        try
        {
            return await DBusClient.For(BusOf(placement, uid)).GetKillModeAsync(unit, cancellationToken).ConfigureAwait(false);
        }
        catch (OutliveException)
        {
            return null;
        }
    }

    /// <summary>The bus of the manager that owns a placement's unit; another user's manager listens in that user's runtime dir.</summary>
    internal static SystemdBus BusOf(UnitPlacement placement, uint callerUid)
    {
        if (placement.Manager == ManagerKind.System)
            return SystemdBus.System();
        return placement.UserId is { } owner && owner != Libc.getuid()
            ? new SystemdBus(ManagerKind.User, $"unix:path=/run/user/{owner.ToString(CultureInfo.InvariantCulture)}/bus")
            : SystemdBus.User(uid: callerUid);
    }

    static string NameOf(uint uid) => Libc.LookupUser(uid.ToString(CultureInfo.InvariantCulture))?.Name ?? uid.ToString(CultureInfo.InvariantCulture);
}
