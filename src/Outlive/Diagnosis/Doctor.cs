using System.Globalization;
using Outlive.Interop;
using Outlive.Procfs;
using Outlive.Systemd;
using Outlive.Systemd.DBus;
using Outlive.Escape;

namespace Outlive.Diagnosis;

/// <summary>
/// Explains whether a child of a process would outlive it, and what to do when not. Reads where the process lives
/// (<see cref="Residence"/>) and judges with the planner's own decision (<see cref="EscapePlanner.Decide"/>, what
/// <c>--escape auto</c> picks) and <see cref="SurvivalRules"/> (what systemd and logind do, docs/survival-matrix.md).
/// </summary>
internal static class Doctor
{
    static readonly EscapeStrategy[] Strategies = [EscapeStrategy.Setsid, EscapeStrategy.Scope, EscapeStrategy.Service];

    /// <summary>Examines <paramref name="pid"/>: where it lives, its unit's KillMode, its session, its permission, its hazards.</summary>
    public static async Task<DoctorReport> ExamineAsync(int pid, CancellationToken cancellationToken = default)
    {
        ProcStat stat = ProcStat.TryRead(pid) ?? throw new ProcessNotFoundException(pid);
        uint uid = UidOf(pid);
        Residence home = await Residence.ReadAsync(pid, uid, stat.StartTimeTicks, askPolkit: true, cancellationToken).ConfigureAwait(false);

        string? version = null, problem = null;
        UnitStatus? status = null;
        if (home.Placement is { } placement)
        {
            try
            {
                DBusClient systemd = DBusClient.For(Residence.BusOf(placement, uid));
                version = await systemd.GetVersionAsync(cancellationToken).ConfigureAwait(false);
                // Read once: the residence has it already for a system or user unit (not for a session).
                status = home.UnitStatus;
                if (status is null && home.Unit is { } unit)
                    status = await systemd.TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false);
            }
            catch (OutliveException e)
            {
                problem = e.Message;
            }
        }
        var hazards = Hazards.Of(pid).ToList();
        if (home.Unit is { } limited && home.Placement is { } at && home.Kind is ResidenceKind.SystemUnit or ResidenceKind.UserUnit)
            hazards.AddRange(await LimitsHazardAsync(DBusClient.For(Residence.BusOf(at, uid)), limited, cancellationToken).ConfigureAwait(false));
        var reaper = pid == Environment.ProcessId ? Hazards.OrphanReaper() : null;
        return Conclude(pid, stat.Command, home, version, status, problem, hazards, reaper);
    }

    /// <summary>Examines a unit through its main process; throws when the unit has none running.</summary>
    public static async Task<DoctorReport> ExamineUnitAsync(string unit, ManagerKind manager, CancellationToken cancellationToken = default)
    {
        UnitName.Validate(unit);
        DBusClient systemd = DBusClient.For(manager);
        UnitStatus? status = await systemd.TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false);
        if (status?.MainPid is not (> 0 and var mainPid))
            throw new UnitNotRunningException(unit, manager);
        return await ExamineAsync((int)mainPid, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The verdict for a child started now by <paramref name="strategy"/> from a process that lives at
    /// <paramref name="home"/>, free of I/O. <see cref="EscapeStrategy.Auto"/> is resolved by the planner itself;
    /// when it would refuse, the verdict keeps Strategy auto, says "dies" everywhere and gives the refusal as its reason.
    /// </summary>
    public static Verdict Predict(EscapeStrategy strategy, Residence home)
    {
        if (strategy != EscapeStrategy.Auto)
            return SurvivalRules.For(home, strategy, strategy == EscapeStrategy.Setsid ? null : EscapePlanner.ManagerForUnit(home));
        try
        {
            EscapePlan plan = EscapePlanner.Decide(new EscapeOptions(), home);
            return SurvivalRules.For(home, plan.Strategy, plan.Managers.Count > 0 ? plan.Managers[0] : null);
        }
        catch (EscapeRefusedException e)
        {
            return new Verdict(EscapeStrategy.Auto, false, false, false, e.Message) { SurvivesLogout = false };
        }
    }

    /// <summary>
    /// <see cref="Predict(EscapeStrategy, Residence)"/> for a child of the calling process: reads where it lives (its unit's
    /// KillMode, logind's facts for a non-root caller or a session) and, for a unit of its own, polkit's answer. Meant to
    /// be called by a parent right before it starts the child.
    /// </summary>
    public static async Task<Verdict> PredictAsync(EscapeStrategy strategy, CancellationToken cancellationToken = default)
    {
        int pid = Environment.ProcessId;
        Residence home = await Residence.ReadAsync(pid, UidOf(pid), ProcStat.TryRead(pid)?.StartTimeTicks ?? 0,
            askPolkit: strategy != EscapeStrategy.Setsid, cancellationToken).ConfigureAwait(false);
        return Predict(strategy, home);
    }

    /// <summary>The report from the facts, free of I/O (unit tests feed it synthetic facts).</summary>
    public static DoctorReport Conclude(
        int pid, string command, Residence home, string? version, UnitStatus? status, string? problem,
        IReadOnlyList<Hazard> hazards, (int Pid, string Command)? reaper)
    {
        if (status?.KillMode is { } read)
            home = home with { KillMode = read };
        var verdicts = Strategies.Select(s => Predict(s, home)).ToList();
        Verdict auto = Predict(EscapeStrategy.Auto, home);
        bool autoLives = auto.Strategy != EscapeStrategy.Auto && SurvivalRules.IsEnough(home, auto);
        string? fix = UnitFixFor(home, verdicts[0]);
        PolkitRule? polkitRule = home.Uid != 0 && home.SystemManagerAllows != true && home.Kind is ResidenceKind.SystemUnit or ResidenceKind.Session
            ? PolkitRule.For(home.UserName, SystemdFeatures.MajorVersion(version))
            : null;

        Recommendation recommended;
        if (autoLives && auto.Strategy == EscapeStrategy.Setsid)
            recommended = new(EscapeStrategy.Setsid, "outlive run -- PROGRAM [ARGS...]", $"{auto.Reason} (what --escape auto does here)");
        else if (autoLives)
            recommended = new(auto.Strategy, "outlive run --escape scope -- PROGRAM [ARGS...]", $"{auto.Reason} (what --escape auto does here)");
        else if (fix is not null)
            recommended = new(EscapeStrategy.Setsid, $"{fix}   then: outlive run -- PROGRAM [ARGS...]",
                $"no transient unit here outlives {home.Unit}: set KillMode=process on it with a drop-in, then setsid is enough");
        else if (home.Uid != 0 && home.Kind is not (ResidenceKind.NoSystemd or ResidenceKind.NoUnit))
            recommended = new(EscapeStrategy.Auto, $"loginctl enable-linger {home.UserName}   then: outlive run -- PROGRAM [ARGS...]",
                $"{home.UserName}'s manager then runs without a session and takes the child{(polkitRule is null ? "" : "; or let polkit allow transient units (rule below)")}");
        else
            recommended = new(EscapeStrategy.Setsid, "none: run the parent outside a place that kills its children", auto.Reason);
        return new DoctorReport(pid, command, home, version, status, problem, verdicts, auto, hazards, recommended, fix, polkitRule, autoLives, reaper);
    }

    /// <summary>A unit with resource limits: a child escaped into a unit of its own leaves them unless they are copied.</summary>
    static async Task<IReadOnlyList<Hazard>> LimitsHazardAsync(DBusClient systemd, string unit, CancellationToken cancellationToken)
    {
        IReadOnlyList<UnitProperty> limits;
        try
        {
            limits = await systemd.GetResourceLimitsAsync(unit, cancellationToken).ConfigureAwait(false);
        }
        catch (OutliveException)
        {
            return [];
        }
        // TasksMax is set on every unit by default (DefaultTasksMax): only the others say the unit was limited on purpose.
        var named = limits.Where(l => l.Name != "TasksMax").Select(l => l.Name).ToList();
        return named.Count == 0 ? [] :
        [
            new Hazard("resource-limits",
                $"{unit} sets {string.Join(", ", named)}: a child in a scope or service of its own leaves them",
                "outlive run --inherit-limits copies them onto the child's unit (or -p NAME=VALUE sets its own)"),
        ];
    }

    /// <summary>
    /// <c>outlive fix-unit</c> for a unit whose KillMode kills setsid children and that a drop-in can change: a service
    /// (or socket, mount, swap) of the system manager or of the caller's own manager; never a scope, whose settings
    /// do not outlive it (a login session's least of all).
    /// </summary>
    static string? UnitFixFor(Residence home, Verdict setsid)
    {
        if (home.Unit is not { } unit || setsid.SurvivesStop || !UnitName.HasKillMode(unit) || UnitName.TypeOf(unit) == "scope")
            return null;
        return home.Kind switch
        {
            ResidenceKind.SystemUnit => Libc.getuid() == 0 ? $"outlive fix-unit {unit}" : $"sudo outlive fix-unit {unit}",
            ResidenceKind.UserUnit when home.Placement?.UserId == Libc.getuid() => $"outlive fix-unit --user {unit}",
            _ => null,
        };
    }

    internal static uint UidOf(int pid) => ProcOwner.TryReadUid(pid) ?? throw new ProcessNotFoundException(pid);
}

/// <summary>No process with that PID is visible.</summary>
internal sealed class ProcessNotFoundException(int pid)
    : OutliveException($"no process {pid.ToString(CultureInfo.InvariantCulture)} (it exited, or lives in another PID namespace); check with ps -p {pid.ToString(CultureInfo.InvariantCulture)}");

/// <summary>The unit is not loaded or has no main process to examine.</summary>
internal sealed class UnitNotRunningException(string unit, ManagerKind manager)
    : OutliveException($"{unit} has no running main process to examine; start it (systemctl {(manager == ManagerKind.User ? "--user " : "")}start {unit}) or pass --pid");
