using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Outlive.Diagnosis;
using Outlive.Systemd;

namespace Outlive.Cli.Commands;

/// <summary><c>outlive tree [--pid PID | --unit UNIT [--user]] [--json]</c>: every process, where it lives, and what a stop would kill.</summary>
internal static class TreeCommand
{
    internal static Command Create()
    {
        var pid = new Option<int?>("--pid") { Description = "Mark what a stop of this process's unit would kill." };
        var unit = new Option<string?>("--unit") { Description = "Mark what a stop of this unit would kill." };
        var user = new Option<bool>("--user") { Description = "With --unit: the unit is the calling user's manager's." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var tree = new Command("tree", "Show every process (PID, PPID, SID, unit or cgroup, command) and mark those a stop of the unit would kill.")
        {
            pid, unit, user, json,
        };
        tree.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(pid) is not null && parse.GetValue(unit) is not null)
                throw new UsageException("tree takes --pid or --unit, not both");
            StopTarget? target = null;
            Residence? logout = null;
            if (parse.GetValue(unit) is { } name)
            {
                target = await StopTarget.ReadAsync(name, parse.GetValue(user) ? ManagerKind.User : ManagerKind.System, cancellationToken);
            }
            else if (parse.GetValue(pid) is { } p)
            {
                UnitPlacement placement = UnitPlacement.TryRead(p) ?? throw new ProcessNotFoundException(p);
                if (placement.Unit is { } owner)
                    target = await StopTarget.ReadAsync(owner, placement.Manager, cancellationToken);
                // A session is ended by a logout, which logind may leave alone: the same model run and doctor use says which.
                Residence home = await Residence.ReadAsync(p, Doctor.UidOf(p), 0, askPolkit: false, cancellationToken);
                if (home.Kind == ResidenceKind.Session)
                    logout = home;
            }
            IReadOnlyList<ProcessNode> nodes = ProcessTree.Read();
            IReadOnlySet<int> killed = target is null ? new HashSet<int>() : ProcessTree.KilledByStop(nodes, target.ControlGroup, target.KillMode, target.MainPid);
            if (parse.GetValue(json))
                WriteJson(nodes, target, killed, logout);
            else
                Console.Write(Render(nodes, target, killed, logout));
            return ExitCodes.Ok;
        });
        return tree;
    }

    internal static string Render(IReadOnlyList<ProcessNode> nodes, StopTarget? target, IReadOnlySet<int> killed, Residence? logout = null)
    {
        var o = new StringWriter(CultureInfo.InvariantCulture);
        if (target is not null)
            o.WriteLine($"'systemctl stop {target.Unit}' (KillMode={target.KillMode.ToSystemdString()}) kills the {killed.Count} process(es) marked with *");
        if (logout is not null)
            o.WriteLine(logout.SessionKilledAtLogout
                ? $"a logout kills them too: logind kills what is left in {logout.Unit} ({LogoutRule(logout)})"
                : $"a logout kills none of them: logind abandons {logout.Unit} ({LogoutRule(logout)}); only terminate-session or a stop would");
        o.WriteLine($"  {"PID",7} {"PPID",7} {"SID",7}  {"UNIT / CGROUP",-44} COMMAND");
        foreach ((ProcessNode n, int depth) in ProcessTree.DepthFirst(nodes))
        {
            string where = n.Unit ?? (n.Cgroup.Length == 0 ? "?" : n.Cgroup);
            string command = n.Command.Length > 80 ? n.Command[..77] + "..." : n.Command;
            o.WriteLine($"{(killed.Contains(n.Pid) ? "*" : " ")} {n.Pid,7} {n.ParentPid,7} {n.SessionId,7}  {where,-44} {new string(' ', 2 * depth)}{command}");
        }
        return Printable.Lines(o.ToString());
    }

    private static string LogoutRule(Residence session) => session.LogoutPolicy?.Explain(session.UserName) ?? "logind's policy unknown: counted as kill";

    private static void WriteJson(IReadOnlyList<ProcessNode> nodes, StopTarget? target, IReadOnlySet<int> killed, Residence? logout)
    {
        using var w = new Utf8JsonWriter(Console.OpenStandardOutput());
        w.WriteStartObject();
        if (logout is not null)
            w.WriteBoolean("killedAtLogout", logout.SessionKilledAtLogout);
        w.WriteString("unit", target?.Unit);
        w.WriteString("controlGroup", target?.ControlGroup);
        w.WriteString("killMode", target?.KillMode.ToSystemdString());
        w.WriteStartArray("processes");
        foreach (ProcessNode n in nodes)
        {
            w.WriteStartObject();
            w.WriteNumber("pid", n.Pid);
            w.WriteNumber("ppid", n.ParentPid);
            w.WriteNumber("sid", n.SessionId);
            w.WriteString("command", n.Command);
            w.WriteString("cgroup", n.Cgroup);
            w.WriteString("unit", n.Unit);
            w.WriteBoolean("killedByStop", killed.Contains(n.Pid));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        Console.Out.WriteLine();
    }
}
