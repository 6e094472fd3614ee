using Outlive.Procfs;
using Outlive.Tests.Support;

namespace Outlive.Tests.Procfs;

public class StartTimeTests
{
    [Fact]
    public void The_identity_taken_from_the_clock_around_the_spawn_is_the_start_time_proc_reports_for_every_child()
    {
        // 300 starts take about 3 clock ticks of 10 ms each, so both ways of taking the identity run: the clock
        // readings in most starts, the /proc read in those that straddle a tick boundary.
        var children = new List<DetachedProcess>();
        try
        {
            for (int i = 0; i < 300; i++)
                children.Add(DetachedProcess.Start(new DetachedStartInfo { Program = "sleep", Arguments = ["300"] }));
            var wrong = children
                .Select(c => (c.Pid, Ours: c.Identity.StartTimeTicks, Procs: ProcStat.TryRead(c.Pid)?.StartTimeTicks))
                .Where(c => c.Ours != c.Procs)
                .ToList();
            Assert.True(wrong.Count == 0, $"start times that differ from /proc: {string.Join(", ", wrong.Select(w => $"pid {w.Pid}: {w.Ours} vs {w.Procs}"))}");
            Assert.All(children, c => Assert.True(c.Identity.IsAlive()));
        }
        finally
        {
            foreach (DetachedProcess child in children)
                Children.Kill(child.Identity);
        }
    }

    [Fact]
    public void Readings_in_one_tick_give_that_tick_and_readings_across_a_tick_boundary_give_none()
    {
        long tick = 1_000_000_000 / Outlive.Interop.Libc.sysconf(Outlive.Interop.Libc._SC_CLK_TCK);
        Assert.Equal(42UL, StartTime.OfProcessMadeBetween(42 * tick, 42 * tick + tick - 1));
        Assert.Null(StartTime.OfProcessMadeBetween(42 * tick + tick - 1, 43 * tick));
    }
}
