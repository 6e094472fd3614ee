using System.Text.Json;
using Outlive.Tests.Support;

namespace Outlive.Tests.Cli;

public class TreeCommandTests
{
    [Fact]
    public void Tree_lists_the_caller_under_its_parent_with_session_and_cgroup_and_marks_nothing_without_a_unit()
    {
        var result = Repo.Run(Repo.Cli, ["tree", "--json"]);

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        var processes = json.RootElement.GetProperty("processes").EnumerateArray().ToList();
        var self = Assert.Single(processes, p => p.GetProperty("pid").GetInt32() == Environment.ProcessId);
        Assert.Equal(Outlive.Procfs.ProcStat.TryRead(Environment.ProcessId)!.SessionId, self.GetProperty("sid").GetInt32());
        Assert.Contains(processes, p => p.GetProperty("ppid").GetInt32() == Environment.ProcessId && p.GetProperty("command").GetString()!.Contains("tree", StringComparison.Ordinal));
        Assert.DoesNotContain(processes, p => p.GetProperty("killedByStop").GetBoolean());
    }

    [Fact]
    public void The_human_tree_indents_a_child_below_its_parent()
    {
        var result = Repo.Run(Repo.Cli, ["tree"]);

        string[] lines = result.Stdout.Split('\n');
        int mine = Array.FindIndex(lines, l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var pid, ..] && pid == Environment.ProcessId.ToString());
        Assert.True(mine > 0, result.Stdout);
        Assert.Contains(lines.Skip(mine + 1), l => l.Contains("outlive tree", StringComparison.Ordinal) || l.EndsWith(" tree", StringComparison.Ordinal));
    }
}
