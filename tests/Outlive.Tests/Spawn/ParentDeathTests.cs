using System.Diagnostics;
using System.Text.Json;
using Outlive.Diagnosis;
using Outlive.Procfs;
using Outlive.Tests.Support;

namespace Outlive.Tests.Spawn;

/// <summary>A long-lived .NET parent (the seed's exectest) starts a detached child and is then SIGKILLed.</summary>
public class ParentDeathTests
{
    [Fact]
    public void A_detached_child_outlives_its_parent_killed_with_SIGKILL_and_is_adopted_by_the_nearest_reaper_C1()
    {
        using var scratch = new Repo.ScratchDir();
        using var parent = Process.Start(new ProcessStartInfo(Repo.ExecTest, ["--method", "setsid", "--tag", "t", "--state-dir", scratch.Path])
        {
            RedirectStandardOutput = true,
        })!;
        string state = Path.Combine(scratch.Path, "t.json");
        Assert.True(Children.WaitUntil(() => File.Exists(state), TimeSpan.FromSeconds(30)), "exectest wrote no state file");
        using var json = JsonDocument.Parse(File.ReadAllText(state));
        var child = new ProcessIdentity(json.RootElement.GetProperty("childPid").GetInt32(), json.RootElement.GetProperty("childStartTime").GetUInt64(), BootId.Current);
        try
        {
            Assert.Equal(parent.Id, ProcStat.TryRead(child.Pid)!.ParentPid);

            parent.Kill();
            parent.WaitForExit();

            Assert.True(child.IsAlive());
            // Orphans go to the nearest child subreaper above the dead parent, else PID 1: the same place
            // an orphan of this test process lands, since the parent was this process's child.
            int expectedReaper = Hazards.OrphanReaper()!.Value.Pid;
            Assert.True(Children.WaitUntil(() => ProcStat.TryRead(child.Pid)!.ParentPid == expectedReaper, TimeSpan.FromSeconds(5)),
                $"child's parent is {ProcStat.TryRead(child.Pid)!.ParentPid}, expected {expectedReaper}");
            Assert.Equal(child.Pid, ProcStat.TryRead(child.Pid)!.SessionId);
        }
        finally
        {
            Children.Kill(child);
        }
    }
}
