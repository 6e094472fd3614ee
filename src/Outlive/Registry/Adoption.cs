using System.Globalization;
using Outlive.Escape;
using Outlive.Interop;
using Outlive.Procfs;
using Outlive.Systemd;
using Outlive.Systemd.DBus;

namespace Outlive.Registry;

/// <summary>
/// Moves a process that is already running (started by anything: a Go service with Setsid, a tmux server) out of its
/// unit into a transient scope of its own, and registers it: the rescue before a planned <c>systemctl restart</c> of a
/// unit whose children must live. What <c>systemd-run --scope</c> does for a new process, done for an old one.
/// </summary>
internal static class Adoption
{
    /// <param name="pid">The process to move.</param>
    /// <param name="name">Its registry name; null: <c>COMM-XXXX</c>.</param>
    /// <param name="options">The scope's name (UnitName), Description, Properties, InheritLimits, Slice and Manager.</param>
    /// <param name="withDescendants">Also its descendants that are in the same cgroup (they would die with it otherwise).</param>
    public static async Task<RegistryEntry> AdoptAsync(
        RegistryStore store, int pid, string? name, EscapeOptions options, bool withDescendants, CancellationToken cancellationToken)
    {
        string id = pid.ToString(CultureInfo.InvariantCulture);
        if (pid <= 0 || ProcStat.TryRead(pid) is not { } stat || ProcessIdentity.TryCapture(pid) is not { } identity)
            throw new ChildNotFoundException($"no process {id} (it exited, or lives in another PID namespace); check with ps -p {id}");
        if (stat.IsKernelThread)
            throw new EscapeRefusedException($"pid {id} ({stat.Command}) is a kernel thread: it belongs to no unit and cannot be moved");
        UnitPlacement placement = UnitPlacement.TryRead(pid)
            ?? throw new ChildNotFoundException($"the cgroup of pid {id} cannot be read; check with cat /proc/{id}/cgroup");
        if (placement.Unit is not { } unit || (unit == "init.scope" && placement.Manager == ManagerKind.System))
            throw new EscapeRefusedException($"pid {id} ({stat.Command}) is {(placement.Unit is null ? "in no unit" : "in init.scope, PID 1's own")}: nothing stops it, so it needs no adopting");
        uint caller = Libc.getuid();
        uint owner = ProcOwner.TryReadUid(pid) ?? throw new ChildNotFoundException($"no process {id}");
        if (caller != 0 && caller != owner)
            throw new PermissionDeniedException($"pid {id} belongs to uid {owner}: only root or that user may move it");

        UnitStatus? parent = await DBusClient.For(Residence.BusOf(placement, caller)).TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false);
        if (parent?.MainPid == (uint)pid)
            throw new EscapeRefusedException(
                $"pid {id} is the main process of {unit}: moved out, systemd would take {unit} for dead and stop or restart it; adopt its children instead");

        int[] pids = withDescendants ? [pid, .. DescendantsInCgroup(pid, placement.CgroupPath)] : [pid];
        ManagerKind manager = options.Manager ?? ManagerKind.System;
        string scope = options.UnitName is { } exact ? TransientUnitStart.ExactUnitName(exact, EscapeStrategy.Scope) : UnitName.CreateTransient(name ?? stat.Command, "scope");
        IReadOnlyList<string> command = ProcCommandLine.TryRead(pid) ?? [stat.Command];
        var home = Residence.Of(true, placement, parent?.KillMode, owner);
        var plan = new EscapePlan(EscapeStrategy.Scope, EscapeStrategy.Scope, [manager], $"adopted from {unit}", home);
        IReadOnlyList<UnitProperty> extra = await TransientUnitStart.ExtraPropertiesAsync(options, plan, cancellationToken).ConfigureAwait(false);

        using Reservation reservation = await store.ReserveAsync(name, stat.Command, replace: false, cancellationToken).ConfigureAwait(false);
        // No planned unit is recorded: a start interrupted here must never stop the scope, which holds a process
        // that ran before Outlive and should go on running, registered or not.
        await TransientUnitStart.ScopeAsync(DBusClient.For(manager), scope, pids, TransientUnitStart.Describe(["adopted", .. command]), options, extra, cancellationToken)
            .ConfigureAwait(false);
        string cwd = TryReadLink($"/proc/{id}/cwd") ?? "/";
        return reservation.Commit(new ChildLaunch(identity, EscapeStrategy.Scope, scope, command, cwd, null, null, null, manager, ChildUid: owner));
    }

    /// <summary>The process's descendants (by parent PID) that are still in its cgroup.</summary>
    static IEnumerable<int> DescendantsInCgroup(int root, string cgroup)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (ProcStat stat in ProcStat.ReadAll())
        {
            if (!children.TryGetValue(stat.ParentPid, out var list))
                children[stat.ParentPid] = list = [];
            list.Add(stat.Pid);
        }
        var found = new List<int>();
        var queue = new Queue<int>([root]);
        while (queue.TryDequeue(out int parent))
        {
            foreach (int child in children.GetValueOrDefault(parent) ?? [])
            {
                queue.Enqueue(child);
                if (ProcCgroup.TryRead(child) == cgroup)
                    found.Add(child);
            }
        }
        return found;
    }

    static string? TryReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
