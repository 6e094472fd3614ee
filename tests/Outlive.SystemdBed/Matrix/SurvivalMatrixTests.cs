using Outlive.Systemd;
namespace Outlive.SystemdBed.Matrix;

using Outlive.SystemdBed.Bed;

/// <summary>Each cell of the survival matrix, observed in real systemd, against what systemd 252 was seen to do.</summary>
[Collection(SystemdBedCollection.Name)]
public sealed class SurvivalMatrixTests(SurvivalMatrixFixture matrix) : IClassFixture<SurvivalMatrixFixture>
{
    public static TheoryData<string> Cells => new(MatrixCell.All.Select(cell => cell.UnitName));

    [Theory]
    [MemberData(nameof(Cells))]
    public void The_child_meets_the_fate_expected_for_its_KillMode_method_and_parent_action(string unit)
    {
        MatrixCell cell = MatrixCell.All.Single(c => c.UnitName == unit);
        CellObservation observed = matrix.Observation(cell);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{cell} [{string.Join(", ", SeedClaim.ShownBy(cell).Select(c => c.Id))}]: child {(observed.ChildAlive ? "alive" : "dead")}, " +
            $"PPID {observed.ChildParentPid}, cgroup {observed.ChildCgroup}, unit {observed.UnitStateAfter}");

        Assert.Null(observed.Mismatch());
    }

    public static TheoryData<string> PredictedCells => new(MatrixCell.All.Where(cell => cell.Method.Name != "plain").Select(cell => cell.UnitName));

    /// <summary>Issue 6: doctor, asked from inside the parent service before the child starts, foretells every cell.</summary>
    [Theory]
    [MemberData(nameof(PredictedCells))]
    public void Doctor_asked_from_inside_the_parent_predicted_the_childs_fate(string unit)
    {
        CellObservation observed = matrix.Observation(MatrixCell.All.Single(c => c.UnitName == unit));

        Assert.NotNull(observed.DoctorPredictedSurvival);
        Assert.Equal(observed.ChildAlive, observed.DoctorPredictedSurvival.Value);
    }

    [Theory]
    [MemberData(nameof(MethodsWhoseChildStaysInTheService))]
    public void Restarting_a_KillMode_process_service_logs_its_left_over_child(string method)
    {
        CellObservation observed = matrix.Observation(Cell(KillMode.Process, method, ParentAction.Restart));

        Assert.Contains(observed.NotableJournalLines, line => line.Contains("Found left-over process <child pid> (sleep)", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(MethodNames))]
    public void A_KillMode_none_service_is_warned_about_as_unsafe(string method)
    {
        CellObservation observed = matrix.Observation(Cell(KillMode.None, method, ParentAction.Stop));

        Assert.Contains(observed.NotableJournalLines, line => line.Contains("Unit uses KillMode=none. This is unsafe", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(MethodsWhoseChildEscapes))]
    public void An_escaped_child_is_not_a_left_over_process_of_the_restarted_service(string method)
    {
        CellObservation observed = matrix.Observation(Cell(KillMode.Process, method, ParentAction.Restart));

        Assert.True(observed.ChildAlive);
        Assert.DoesNotContain(observed.NotableJournalLines, line => line.Contains("Found left-over process <child pid>", StringComparison.Ordinal));
    }

    public static TheoryData<string> MethodNames => new(ChildMethod.All.Select(method => method.Name));

    public static TheoryData<string> MethodsWhoseChildStaysInTheService => new(MethodsByHomeUnderKillModeProcess(ChildHome.ServiceCgroup));

    public static TheoryData<string> MethodsWhoseChildEscapes => new(MethodsByHomeUnderKillModeProcess(ChildHome.OwnUnit));

    private static IEnumerable<string> MethodsByHomeUnderKillModeProcess(ChildHome home) =>
        ChildMethod.All.Where(m => m.Expect(KillMode.Process, ParentAction.Restart).Home == home).Select(m => m.Name);

    private static MatrixCell Cell(KillMode killMode, string method, ParentAction action) =>
        MatrixCell.All.Single(c => c.KillMode == killMode && c.Method.Name == method && c.Action == action);
}
