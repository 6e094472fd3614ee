using System.Globalization;
using Outlive.Procfs;
using Outlive.Systemd;
using Outlive.Systemd.DBus;

namespace Outlive.Diagnosis;

/// <summary>One process as <c>outlive tree</c> shows it.</summary>
/// <param name="Cgroup">Its cgroup path (the <c>0::</c> line), empty when unreadable.</param>
/// <param name="Unit">The unit that cgroup belongs to; null at the root or in a bare slice.</param>
internal sealed record ProcessNode(int Pid, int ParentPid, int SessionId, string Command, string Cgroup, string? Unit);

/// <summary>Every visible process, and which of them a stop of one unit would kill.</summary>
internal static class ProcessTree
{
    /// <summary>Reads every process in /proc (processes that exit meanwhile are skipped).</summary>
    public static IReadOnlyList<ProcessNode> Read()
    {
        var nodes = new List<ProcessNode>();
        foreach (ProcStat stat in ProcStat.ReadAll())
        {
            string cgroup = ProcCgroup.TryRead(stat.Pid) ?? "";
            string command = ProcCommandLine.TryRead(stat.Pid) is { } argv ? string.Join(' ', argv) : stat.Command;
            nodes.Add(new ProcessNode(stat.Pid, stat.ParentPid, stat.SessionId, command, cgroup,
                cgroup.Length == 0 ? null : UnitPlacement.FromCgroupPath(cgroup).Unit));
        }
        return [.. nodes.OrderBy(n => n.Pid)];
    }

    /// <summary>
    /// The PIDs that <c>systemctl stop</c> of the unit whose cgroup is <paramref name="unitCgroup"/> signals
    /// (systemd.kill(5)): control-group and mixed, every process in that cgroup and below it; process, only
    /// the main process; none, nobody. Children moved to a scope or service of their own are in another cgroup.
    /// </summary>
    public static IReadOnlySet<int> KilledByStop(IEnumerable<ProcessNode> nodes, string unitCgroup, KillMode killMode, int? mainPid) => killMode switch
    {
        KillMode.ControlGroup or KillMode.Mixed => nodes.Where(n => IsAtOrBelow(n.Cgroup, unitCgroup)).Select(n => n.Pid).ToHashSet(),
        KillMode.Process => nodes.Where(n => n.Pid == mainPid && IsAtOrBelow(n.Cgroup, unitCgroup)).Select(n => n.Pid).ToHashSet(),
        _ => new HashSet<int>(),
    };

    /// <summary>The processes in depth-first order from the roots (PPID not visible), each with its depth.</summary>
    public static IEnumerable<(ProcessNode Node, int Depth)> DepthFirst(IReadOnlyList<ProcessNode> nodes)
    {
        var pids = nodes.Select(n => n.Pid).ToHashSet();
        ILookup<int, ProcessNode> children = nodes.ToLookup(n => n.ParentPid);
        var stack = new Stack<(ProcessNode, int)>(nodes.Where(n => !pids.Contains(n.ParentPid) || n.ParentPid == n.Pid).OrderByDescending(n => n.Pid).Select(n => (n, 0)));
        while (stack.Count > 0)
        {
            (ProcessNode node, int depth) = stack.Pop();
            yield return (node, depth);
            foreach (ProcessNode child in children[node.Pid].Where(c => c.Pid != node.Pid).OrderByDescending(c => c.Pid))
                stack.Push((child, depth + 1));
        }
    }

    static bool IsAtOrBelow(string cgroup, string unitCgroup) =>
        cgroup == unitCgroup || cgroup.StartsWith(unitCgroup.TrimEnd('/') + "/", StringComparison.Ordinal);

}

/// <summary>The unit whose stop <c>outlive tree</c> marks: where its cgroup is, how it kills, its main process.</summary>
internal sealed record StopTarget(string Unit, ManagerKind Manager, string ControlGroup, KillMode KillMode, int? MainPid)
{
    /// <summary>Reads the unit's ControlGroup, KillMode and MainPID over D-Bus; throws when it is not loaded or has no cgroup (not running).</summary>
    public static async Task<StopTarget> ReadAsync(string unit, ManagerKind manager, CancellationToken cancellationToken = default)
    {
        UnitName.Validate(unit);
        DBusClient systemd = DBusClient.For(manager);
        UnitStatus? status = await systemd.TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false);
        if (status?.ControlGroup is not { } cgroup)
            throw new UnitNotRunningException(unit, manager);
        return new StopTarget(unit, manager, cgroup, status.KillMode ?? KillMode.ControlGroup, status.MainPid is > 0 and var main ? (int)main : null);
    }
}
