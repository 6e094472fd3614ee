using Outlive.Systemd;
namespace Outlive.SystemdBed.Matrix;

/// <summary>
/// A claim of the seed (docs/claims.md) that matrix cells show: which cells, and whether
/// an observation agrees with what the seed says happens there.
/// </summary>
internal sealed record SeedClaim(string Id, string Seed, Func<MatrixCell, bool> Shows, Func<CellObservation, bool> AgreesWithSeed)
{
    public static readonly IReadOnlyList<SeedClaim> All =
    [
        new("C2", "with the default KillMode=control-group a setsid child dies on `systemctl stop` or when the main process exits abnormally",
            cell => cell.KillMode == KillMode.ControlGroup && IsSeedMethod(cell),
            o => !o.ChildAlive),
        new("C4", "with KillMode=process only the main process is signalled on stop; the child is reparented to PID 1 and keeps running",
            cell => cell.KillMode == KillMode.Process && cell.Action is ParentAction.Stop or ParentAction.Restart && IsSeedMethod(cell),
            o => o.ChildAlive && o.ChildParentPid == 1),
        new("C5", "with KillMode=mixed the main process gets SIGTERM, the rest of the cgroup SIGKILL: children still die",
            cell => cell.KillMode == KillMode.Mixed && IsSeedMethod(cell),
            o => !o.ChildAlive),
        new("C6", "with KillMode=none nothing is killed",
            cell => cell.KillMode == KillMode.None && IsSeedMethod(cell),
            o => o.ChildAlive && (o.MainAlive || o.Cell.Action is ParentAction.KillMain9 or ParentAction.KillMainInt)),
        new("C8", "with KillMode=process, after killing the main process (`kill -INT`, a simulated crash) the child still runs with PPID 1",
            cell => cell.KillMode == KillMode.Process && cell.Action is ParentAction.KillMainInt or ParentAction.KillMain9 && IsSeedMethod(cell),
            o => o.ChildAlive && o.ChildParentPid == 1),
        new("C9", "KillMode=process must be combined with setsid: without it the child may still die of SIGHUP",
            cell => cell.KillMode == KillMode.Process && cell.Method.Name == "plain",
            o => !o.ChildAlive),
    ];

    public static IEnumerable<SeedClaim> ShownBy(MatrixCell cell) => All.Where(claim => claim.Shows(cell));

    /// <summary>The seed speaks of children started in the service (plain or setsid); escaped children are Outlive's own columns.</summary>
    private static bool IsSeedMethod(MatrixCell cell) => cell.Method.Name is "plain" or "setsid";
}
