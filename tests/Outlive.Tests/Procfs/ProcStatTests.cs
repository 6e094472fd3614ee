using Outlive.Procfs;

namespace Outlive.Tests.Procfs;

public class ProcStatTests
{
    [Fact]
    public void A_command_with_spaces_and_parentheses_is_split_after_its_last_parenthesis()
    {
        var stat = ProcStat.Parse("4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615");
        Assert.Equal(4242, stat.Pid);
        Assert.Equal("my (odd) name", stat.Command);
        Assert.Equal('S', stat.State);
        Assert.Equal(1, stat.ParentPid);
        Assert.Equal(4242, stat.SessionId);
        Assert.Equal(0, stat.TtyNr);
        Assert.Equal(987654UL, stat.StartTimeTicks);
    }

    [Fact]
    public void The_current_process_reads_as_itself_and_alive()
    {
        var identity = ProcessIdentity.TryCapture(Environment.ProcessId);
        Assert.NotNull(identity);
        Assert.True(identity.IsAlive());
        Assert.False((identity with { StartTimeTicks = identity.StartTimeTicks + 1 }).IsAlive());
    }
}
