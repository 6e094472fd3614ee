namespace Outlive.SystemdBed.Matrix;

/// <summary>What the bed showed for one cell after its action (bed PIDs; cgroup as the bed sees it).</summary>
internal sealed record CellObservation(
    MatrixCell Cell,
    int MainPid,
    int ChildPid,
    bool ChildAlive,
    int? ChildParentPid,
    string? ChildCgroup,
    bool MainAlive,
    string UnitStateAfter,
    IReadOnlyList<string> NotableJournalLines,
    bool? DoctorPredictedSurvival)
{
    /// <summary>The service's own cgroup, as the bed sees it.</summary>
    public string ServiceCgroup => $"/system.slice/{Cell.UnitName}";

    /// <summary>Why the observation differs from the cell's expectation, or null when it matches.</summary>
    public string? Mismatch()
    {
        ExpectedFate expected = Cell.Expected;
        if (ChildAlive != expected.Survives)
            return $"child {(ChildAlive ? "survived" : "was killed")}, expected it {(expected.Survives ? "to survive" : "to be killed")}";
        if (!ChildAlive)
            return null;
        int expectedParent = expected.Parent == ChildParent.Init ? 1 : MainPid;
        if (ChildParentPid != expectedParent)
            return $"child's PPID is {ChildParentPid}, expected {expectedParent} ({expected.Parent})";
        bool inService = ChildCgroup == ServiceCgroup;
        if (inService != (expected.Home == ChildHome.ServiceCgroup))
            return $"child's cgroup is {ChildCgroup}, expected {(expected.Home == ChildHome.ServiceCgroup ? ServiceCgroup : "a unit of its own")}";
        return null;
    }
}
