using System.CommandLine;

namespace Outlive.Cli.Commands;

/// <summary>
/// <c>outlive adopt PID|NAME [--tree] [--name WORD] [-u UNIT] [--description TEXT] [-p NAME=VALUE]... [--inherit-limits]
/// [--slice SLICE] [--user|--system] [--json]</c>: move a running process into a scope of its own and register it.
/// </summary>
internal static class AdoptCommand
{
    internal static Command Create()
    {
        var target = new Argument<string>("pid-or-name") { Description = "The process's PID, or a registered setsid child's name." };
        var tree = new Option<bool>("--tree") { Description = "Also move its descendants that share its cgroup." };
        var name = new Option<string?>("--name") { Description = "Its name in the registry (default: COMM-XXXX)." };
        var json = new Option<bool>("--json") { Description = "Print the new entry as 'ps --json' does (one object)." };
        var adopt = new Command("adopt",
            "Move a process that is already running in a unit (e.g. a service's setsid child) into a transient scope of its own, so a " +
            "stop or restart of that unit spares it, and register it. Prints the scope. Refuses init.scope, kernel threads, a unit's main process.")
        {
            target, tree, name, json,
        };
        var unitOptions = new UnitOptions();
        unitOptions.AddTo(adopt);
        adopt.SetAction(async (parse, cancellationToken) =>
        {
            EscapeOptions scope = unitOptions.Apply(parse, new EscapeOptions { Strategy = EscapeStrategy.Scope });
            RegisteredChild child = await StateDirOption.OpenRegistry(parse).AdoptAsync(
                parse.GetValue(target)!, parse.GetValue(name), scope, parse.GetValue(tree), cancellationToken);
            if (parse.GetValue(json))
            {
                using var writer = ChildJson.StdoutWriter();
                ChildJson.Write(writer, child, DateTime.UtcNow);
                writer.Flush();
                Console.Out.WriteLine();
            }
            else
            {
                Console.Out.WriteLine(Printable.Of(child.Unit ?? ""));
            }
            return ExitCodes.Ok;
        });
        return adopt;
    }
}
