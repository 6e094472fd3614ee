using System.CommandLine;

namespace Outlive.Cli.Commands;

/// <summary><c>outlive status NAME|PID [--json]</c>: LSB exit codes, 0 running, 3 not running, 4 unknown, 9 no such entry.</summary>
internal static class StatusCommand
{
    internal static Command Create()
    {
        var target = new Argument<string>("name-or-pid") { Description = "The child's name, or its PID." };
        var json = new Option<bool>("--json") { Description = "Print the entry as 'ps --json' does (one object)." };
        var status = new Command("status",
            "Tell whether a registered child runs, with LSB's codes: 0 running, 1 dead but its PID file is there, 3 not running, 4 unknown (no such child, too).")
        {
            target, json,
        };
        status.SetAction(async (parse, cancellationToken) =>
        {
            RegisteredChild child;
            try
            {
                child = await StateDirOption.OpenRegistry(parse).GetAsync(parse.GetValue(target)!, cancellationToken);
            }
            catch (ChildNotFoundException e)
            {
                // LSB and systemctl status: a program or unit nobody knows of is "unknown" (4).
                Printable.WriteError(e.Message);
                return ExitCodes.Unknown;
            }
            ChildState state = child.State;
            if (parse.GetValue(json))
            {
                using var writer = ChildJson.StdoutWriter();
                ChildJson.Write(writer, child, DateTime.UtcNow);
                writer.Flush();
                Console.Out.WriteLine();
            }
            else
            {
                string where = child.Unit is null ? Words.Of(child.Strategy) : $"{Words.Of(child.Strategy)} {Printable.Of(child.Unit)}";
                string ended = child.Exit is { } exit ? $", {exit}" : "";
                string processes = child.ProcessCount is { } count ? $", {count} process{(count == 1 ? "" : "es")}" : "";
                string pid = child.CurrentPid is { } current && current != child.Pid ? $"pid {current}, started as {child.Pid}" : $"pid {child.Pid}";
                Console.Out.WriteLine($"{child.Name}: {ChildJson.StateWord(state)} ({pid}{processes}, {where}{ended})");
            }
            return state switch
            {
                ChildState.Running => ExitCodes.Ok,
                ChildState.Gone when child.PidFile is { } pidFile && File.Exists(pidFile) => ExitCodes.DeadWithPidFile,
                ChildState.Gone => ExitCodes.NotRunning,
                _ => ExitCodes.Unknown,
            };
        });
        return status;
    }
}
