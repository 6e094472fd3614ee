using System.CommandLine;
using Outlive.Diagnosis;
using Outlive.Systemd;
using DropIn = Outlive.Systemd.UnitFiles.KillModeDropIn;

namespace Outlive.Cli.Commands;

/// <summary><c>outlive fix-unit UNIT [--kill-mode M] [--dry-run] [--no-reload] [--restart] [--revert] [--user]</c>: the KillMode drop-in.</summary>
internal static class FixUnitCommand
{
    internal static Command Create()
    {
        var unit = new Argument<string>("unit") { Description = "The unit to fix, e.g. myapp.service." };
        var killMode = new Option<string>("--kill-mode")
        {
            Description = "process (default): stop signals only the main process; mixed; control-group (systemd's default).",
            DefaultValueFactory = _ => "process",
        };
        killMode.AcceptOnlyFromAmong("process", "mixed", "control-group");
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the diff; write nothing." };
        var noReload = new Option<bool>("--no-reload") { Description = "Write the drop-in but do not daemon-reload." };
        var restart = new Option<bool>("--restart") { Description = "Restart the unit after the reload (its running children are then judged by the new KillMode)." };
        var revert = new Option<bool>("--revert") { Description = "Remove the drop-in (and its empty UNIT.d) instead." };
        var user = new Option<bool>("--user") { Description = "A unit of the calling user's manager (~/.config/systemd/user)." };
        // Tests point this at a scratch directory; a root other than / is not what the manager reads, so no reload then.
        var root = new Option<string>("--root") { Hidden = true, DefaultValueFactory = _ => "/" };
        var fix = new Command("fix-unit",
            "Write UNIT.d/50-outlive.conf with KillMode= (never the unit file itself), show the diff, daemon-reload; --revert removes it.")
        {
            unit, killMode, dryRun, noReload, restart, revert, user, root,
        };
        fix.SetAction(async (parse, cancellationToken) =>
        {
            string name = parse.GetValue(unit)!;
            ManagerKind manager = parse.GetValue(user) ? ManagerKind.User : ManagerKind.System;
            string rootDir = parse.GetValue(root)!;
            bool reverting = parse.GetValue(revert);
            KillMode mode = SystemdEnums.ParseKillMode(parse.GetValue(killMode)) ?? KillMode.Process;
            if (reverting && parse.GetValue(restart))
                throw new UsageException("--revert and --restart together: revert first, then restart the unit yourself when you want its processes cleaned up");
            UnitFix plan = reverting ? UnitFix.PlanRevert(name, manager, rootDir) : UnitFix.PlanSet(name, mode, manager, rootDir);
            bool reload = !parse.GetValue(noReload) && rootDir == "/";
            // A drop-in for a unit that does not exist would wait for one of that name; reverting one is always fine.
            if (!reverting && rootDir == "/")
                await plan.EnsureUnitExistsAsync(mustAsk: reload && !parse.GetValue(dryRun), cancellationToken);

            Console.Write(plan.Diff);
            if (plan.IsNoChange)
                Console.WriteLine(reverting ? $"{plan.Path}: not there, nothing to revert" : $"{plan.Path}: already says KillMode={mode.ToSystemdString()}");
            if (parse.GetValue(dryRun))
            {
                Console.WriteLine("dry run: nothing written");
                return ExitCodes.Ok;
            }
            KillMode? effective = await plan.ApplyAsync(reload, parse.GetValue(restart), cancellationToken);
            string systemctl = manager == ManagerKind.User ? "systemctl --user" : "systemctl";
            Console.WriteLine(reverting ? $"removed {plan.Path}" : $"wrote {plan.Path}");
            Console.WriteLine(reload ? $"reloaded the {(manager == ManagerKind.User ? "user" : "system")} manager" : $"not reloaded: run '{systemctl} daemon-reload'");
            Console.WriteLine(parse.GetValue(restart)
                ? $"restarted {name}"
                : $"takes effect for processes running now; restart to start clean: {systemctl} restart {name}");
            if (!reverting)
                Console.WriteLine(plan.SecurityNote(mode));
            if (effective is { } now)
                Console.WriteLine($"systemd now reports KillMode={now.ToSystemdString()} for {name}");
            if (!reverting && effective is { } other && other != mode)
            {
                Console.Error.WriteLine($"outlive: {name} still has KillMode={other.ToSystemdString()}: a drop-in that sorts after {DropIn.FileName} (or a .conf in a higher-priority directory) overrides it; see '{systemctl} cat {name}'");
                return ExitCodes.No;
            }
            return ExitCodes.Ok;
        });
        return fix;
    }
}
