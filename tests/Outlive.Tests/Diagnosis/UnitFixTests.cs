using Outlive.Diagnosis;
using Outlive.Systemd;
using Outlive.Tests.Support;

namespace Outlive.Tests.Diagnosis;

public class UnitFixTests
{
    [Fact(Timeout = 120_000)]
    public async Task Applying_writes_the_drop_in_and_reverting_removes_it_and_its_empty_directory()
    {
        using var root = new Repo.ScratchDir();
        UnitFix set = UnitFix.PlanSet("app.service", KillMode.Process, ManagerKind.System, root.Path);
        Assert.Equal(Path.Combine(root.Path, "etc/systemd/system/app.service.d/50-outlive.conf"), set.Path);
        Assert.False(set.IsNoChange);

        await set.ApplyAsync(reload: false, restart: false, TestContext.Current.CancellationToken);
        Assert.Contains("[Service]\nKillMode=process\n", File.ReadAllText(set.Path), StringComparison.Ordinal);
        Assert.True(UnitFix.PlanSet("app.service", KillMode.Process, ManagerKind.System, root.Path).IsNoChange);

        UnitFix revert = UnitFix.PlanRevert("app.service", ManagerKind.System, root.Path);
        Assert.Contains("-KillMode=process", revert.Diff, StringComparison.Ordinal);
        await revert.ApplyAsync(reload: false, restart: false, TestContext.Current.CancellationToken);
        Assert.False(Directory.Exists(Path.GetDirectoryName(set.Path)));
        Assert.True(Directory.Exists(Path.Combine(root.Path, "etc/systemd/system")));
    }

    [Fact]
    public void A_unit_type_without_KillMode_is_refused_before_anything_is_planned()
    {
        var e = Assert.Throws<InvalidNameException>(() => UnitFix.PlanSet("app.timer", KillMode.Process, ManagerKind.System, "/nonexistent"));
        Assert.Equal(ExitCodes.Usage, ExitCodes.For(e));
    }

    [Fact]
    public void The_security_note_names_the_left_over_processes_and_how_to_watch_them()
    {
        string note = UnitFix.PlanSet("app.service", KillMode.Process, ManagerKind.System, "/nonexistent").SecurityNote(KillMode.Process);

        Assert.Contains("Found left-over process", note, StringComparison.Ordinal);
        Assert.Contains("systemctl show -p MainPID app.service", note, StringComparison.Ordinal);
        Assert.Contains("outlive status", note, StringComparison.Ordinal);
    }
}
