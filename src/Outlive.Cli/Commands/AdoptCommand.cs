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
        var unit = new Option<string?>("--unit", "-u") { Description = "The scope's exact name (.scope is added when missing)." };
        var description = new Option<string?>("--description") { Description = "The scope's Description=." };
        var property = new Option<string[]>("--property", "-p") { Description = "Set a scope property NAME=VALUE (repeatable), as for run.", AllowMultipleArgumentsPerToken = false };
        var inheritLimits = new Option<bool>("--inherit-limits") { Description = "Copy its current unit's resource limits onto the scope." };
        var slice = new Option<string?>("--slice") { Description = "The slice for the scope." };
        var userManager = new Option<bool>("--user") { Description = "Make the scope on the calling user's manager." };
        var systemManager = new Option<bool>("--system") { Description = "Make the scope on the system manager (the default)." };
        var json = new Option<bool>("--json") { Description = "Print the new entry as 'ps --json' does (one object)." };
        var adopt = new Command("adopt",
            "Move a process that is already running in a unit (e.g. a service's setsid child) into a transient scope of its own, so a " +
            "stop or restart of that unit spares it, and register it. Prints the scope. Refuses init.scope, kernel threads, a unit's main process.")
        {
            target, tree, name, unit, description, property, inheritLimits, slice, userManager, systemManager, json,
        };
        adopt.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(userManager) && parse.GetValue(systemManager))
                throw new UsageException("--user and --system name one manager each: give one of them");
            var scope = new EscapeOptions
            {
                Strategy = EscapeStrategy.Scope,
                UnitName = parse.GetValue(unit),
                Description = parse.GetValue(description),
                Properties = parse.GetValue(property) ?? [],
                InheritLimits = parse.GetValue(inheritLimits),
                Slice = parse.GetValue(slice),
                Manager = parse.GetValue(userManager) ? ManagerKind.User : null,
            };
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
