using System.Globalization;
using Outlive.Procfs;
using Outlive.Systemd;
using Outlive.Systemd.DBus;
using Outlive.Escape;

namespace Outlive.Diagnosis;

/// <summary>
/// Explains whether a child of a process would outlive it, and what to do when not. Uses the same rules
/// as <see cref="EscapePlanner"/> (what <c>--escape auto</c> picks) and <see cref="SurvivalRules.For"/> (what
/// systemd 252 does, docs/survival-matrix.md).
/// </summary>
internal static class Doctor
{
    static readonly EscapeStrategy[] Strategies = [EscapeStrategy.Setsid, EscapeStrategy.Scope, EscapeStrategy.Service];

    /// <summary>Examines <paramref name="pid"/>: its unit, that unit's KillMode, its permission, its hazards.</summary>
    public static async Task<DoctorReport> ExamineAsync(int pid, CancellationToken cancellationToken = default)
    {
        ProcStat stat = ProcStat.TryRead(pid) ?? throw new ProcessNotFoundException(pid);
        uint uid = UidOf(pid);
        bool booted = SystemdInit.IsBooted();
        UnitPlacement? placement = booted ? UnitPlacement.TryRead(pid) : null;
        string? unit = StoppableUnit(placement);

        string? version = null, problem = null;
        UnitStatus? status = null;
        if (booted && placement is not null)
        {
            try
            {
                DBusClient systemd = DBusClient.For(BusOf(placement));
                version = await systemd.GetVersionAsync(cancellationToken).ConfigureAwait(false);
                if (unit is not null)
                    status = await systemd.TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false);
            }
            catch (OutliveException e)
            {
                problem = e.Message;
            }
        }

        TransientUnitPermission permission = booted
            ? await TransientUnitPermission.CheckAsync(pid, uid, stat.StartTimeTicks, placement, cancellationToken).ConfigureAwait(false)
            : new(false, "systemd is not the init here: there is no manager to create units");
        var hazards = Hazards.Of(pid);
        var reaper = pid == Environment.ProcessId ? Hazards.OrphanReaper() : null;
        return Conclude(pid, stat.Command, uid, booted, placement, version, unit, status, problem, permission, hazards, reaper);
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
    /// The verdict for a child started now by <paramref name="strategy"/> from a process placed at
    /// <paramref name="placement"/>, free of I/O: <see cref="EscapeStrategy.Auto"/> is first resolved the
    /// way <see cref="EscapePlanner.Decide"/> resolves it. The returned verdict's Strategy is the one used.
    /// </summary>
    public static Verdict Predict(EscapeStrategy strategy, bool systemdBooted, UnitPlacement? placement, KillMode? killMode, bool canCreateTransientUnits)
    {
        if (!systemdBooted)
        {
            return strategy is EscapeStrategy.Scope or EscapeStrategy.Service
                ? new Verdict(strategy, false, false, false, "systemd is not the init here: there is no manager to create units")
                : SurvivalRules.For(EscapeStrategy.Setsid, null, null, canCreateTransientUnits);
        }
        if (strategy == EscapeStrategy.Auto)
            strategy = AutoStrategy(placement, killMode);
        return SurvivalRules.For(strategy, StoppableUnit(placement), killMode, canCreateTransientUnits);
    }

    /// <summary>
    /// <see cref="Predict(EscapeStrategy, bool, UnitPlacement?, KillMode?, bool)"/> for a child of the calling
    /// process: reads its cgroup, its unit's KillMode over D-Bus (one call) and its permission (polkit only
    /// when not root). Meant to be called by a parent right before it starts the child.
    /// </summary>
    public static async Task<Verdict> PredictAsync(EscapeStrategy strategy, CancellationToken cancellationToken = default)
    {
        int pid = Environment.ProcessId;
        bool booted = SystemdInit.IsBooted();
        UnitPlacement? placement = booted ? UnitPlacement.TryRead(pid) : null;
        KillMode? killMode = null;
        if (StoppableUnit(placement) is { } unit)
        {
            try
            {
                DBusClient systemd = DBusClient.For(BusOf(placement!));
                killMode = (await systemd.TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false))?.KillMode;
            }
            catch (OutliveException)
            {
                // Unknown KillMode counts as systemd's default, as the planner does.
            }
        }
        bool canCreate = booted && (strategy is EscapeStrategy.Setsid
            || (await TransientUnitPermission.CheckAsync(pid, UidOf(pid), ProcStat.TryRead(pid)?.StartTimeTicks ?? 0, placement, cancellationToken).ConfigureAwait(false)).Allowed);
        return Predict(strategy, booted, placement, killMode, canCreate);
    }

    /// <summary>The report from the facts, free of I/O (unit tests feed it synthetic facts).</summary>
    public static DoctorReport Conclude(
        int pid, string command, uint uid, bool booted, UnitPlacement? placement, string? version, string? unit, UnitStatus? status,
        string? problem, TransientUnitPermission permission, IReadOnlyList<Hazard> hazards, (int Pid, string Command)? reaper)
    {
        KillMode? killMode = status?.KillMode;
        var verdicts = Strategies.Select(s => Predict(s, booted, placement, killMode, permission.Allowed)).ToList();
        EscapeStrategy auto = booted ? AutoStrategy(placement, killMode) : EscapeStrategy.Setsid;
        Verdict setsid = verdicts[0], scope = verdicts[1];
        bool unitKillsSetsid = unit is not null && !setsid.SurvivesAll;
        string? fix = unitKillsSetsid && UnitName.HasKillMode(unit!)
            ? $"outlive fix-unit {(placement?.Manager == ManagerKind.User ? "--user " : "")}{unit}"
            : null;

        Recommendation recommended;
        if (unitKillsSetsid && scope.SurvivesAll)
            recommended = new(EscapeStrategy.Scope, "outlive run --escape scope -- PROGRAM [ARGS...]",
                $"the child gets its own transient scope, outside {unit} (what --escape auto does here)");
        else if (!unitKillsSetsid)
            recommended = new(EscapeStrategy.Setsid, "outlive run -- PROGRAM [ARGS...]",
                unit is null ? "not in a unit that systemd stops: setsid (what --escape auto does here) is enough"
                             : $"{unit}'s KillMode leaves setsid children alone (what --escape auto does here)");
        else
            recommended = new(EscapeStrategy.Setsid, fix is null ? "none: run the parent outside a unit that kills its cgroup" : $"{fix}   then: outlive run -- PROGRAM [ARGS...]",
                fix is null ? $"no transient units allowed, and {unit} has no KillMode= to change"
                            : $"no transient units allowed here: set KillMode=process on {unit} with a drop-in, then setsid is enough");
        bool survives = recommended.Strategy == EscapeStrategy.Scope ? scope.SurvivesAll : !unitKillsSetsid;
        return new DoctorReport(pid, command, uid, booted, placement, version, unit, status, problem, permission,
            verdicts, auto, hazards, recommended, fix, survives, reaper);
    }

    /// <summary>What --escape auto picks: the planner's own decision (root-ness does not change the strategy).</summary>
    static EscapeStrategy AutoStrategy(UnitPlacement? placement, KillMode? killMode) =>
        EscapePlanner.Decide(new EscapeOptions(), systemdBooted: true, placement, killMode, isRoot: true, userBusReachable: false).Strategy;

    /// <summary>The unit a stop would come from: none at the root, in a bare slice, or in PID 1's init.scope.</summary>
    static string? StoppableUnit(UnitPlacement? placement) =>
        placement?.Unit is { } unit && !(unit == "init.scope" && placement.Manager == ManagerKind.System) ? unit : null;

    static SystemdBus BusOf(UnitPlacement placement)
    {
        if (placement.Manager == ManagerKind.System)
            return SystemdBus.System();
        // Another user's manager listens on that user's runtime directory, not on ours.
        return placement.UserId is { } uid && uid != UidOf(Environment.ProcessId)
            ? new SystemdBus(ManagerKind.User, $"unix:path=/run/user/{uid.ToString(CultureInfo.InvariantCulture)}/bus")
            : SystemdBus.User();
    }

    internal static uint UidOf(int pid)
    {
        try
        {
            string line = File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            return uint.Parse(line[4..].Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            throw new ProcessNotFoundException(pid);
        }
    }
}

/// <summary>No process with that PID is visible.</summary>
internal sealed class ProcessNotFoundException(int pid)
    : OutliveException($"no process {pid.ToString(CultureInfo.InvariantCulture)} (it exited, or lives in another PID namespace); check with ps -p {pid.ToString(CultureInfo.InvariantCulture)}");

/// <summary>The unit is not loaded or has no main process to examine.</summary>
internal sealed class UnitNotRunningException(string unit, ManagerKind manager)
    : OutliveException($"{unit} has no running main process to examine; start it (systemctl {(manager == ManagerKind.User ? "--user " : "")}start {unit}) or pass --pid");
