using Outlive.Diagnosis;
using Outlive.Systemd;

namespace Outlive.Tests.Diagnosis;

public class ProcessTreeTests
{
    private const string Unit = "/system.slice/app.service";

    // main 100 with a plain child 101, a setsid child 102 reparented to PID 1, a child in a delegated sub-cgroup,
    // a scope-escaped child, and a neighbour whose cgroup merely starts with the same letters.
    private static readonly ProcessNode[] Nodes =
    [
        new(1, 0, 1, "systemd", "/init.scope", "init.scope"),
        new(100, 1, 100, "app", Unit, "app.service"),
        new(101, 100, 100, "worker", Unit, "app.service"),
        new(102, 1, 102, "setsid-child", Unit, "app.service"),
        new(103, 100, 100, "delegated", Unit + "/workers", "app.service"),
        new(104, 1, 104, "escaped", "/system.slice/outlive-x-1234.scope", "outlive-x-1234.scope"),
        new(105, 1, 105, "neighbour", "/system.slice/app.service2.service", "app.service2.service"),
    ];

    [Theory]
    [InlineData("control-group", new[] { 100, 101, 102, 103 })]
    [InlineData("mixed", new[] { 100, 101, 102, 103 })]
    [InlineData("process", new[] { 100 })]
    [InlineData("none", new int[0])]
    public void A_stop_marks_what_its_KillMode_kills_and_never_an_escaped_child(string killMode, int[] killed)
    {
        KillMode mode = SystemdEnums.ParseKillMode(killMode)!.Value;
        Assert.Equal(killed, ProcessTree.KilledByStop(Nodes, Unit, mode, mainPid: 100).Order());
    }

    [Fact]
    public void Depth_first_order_puts_children_under_their_parents()
    {
        var order = ProcessTree.DepthFirst(Nodes).Select(x => (x.Node.Pid, x.Depth)).ToList();

        Assert.Equal([(1, 0), (100, 1), (101, 2), (103, 2), (102, 1), (104, 1), (105, 1)], order);
    }

    [Fact]
    public void The_real_tree_contains_this_process_in_its_own_cgroup()
    {
        ProcessNode self = Assert.Single(ProcessTree.Read(), n => n.Pid == Environment.ProcessId);

        Assert.Equal(ProcCgroup.TryRead(Environment.ProcessId), self.Cgroup);
        Assert.Contains("Outlive.Tests", self.Command, StringComparison.Ordinal);
    }
}
