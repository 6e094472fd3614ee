using System.CommandLine;

namespace Outlive.Cli.Commands;

/// <summary><c>outlive prune</c>: forget the children that are gone.</summary>
internal static class PruneCommand
{
    internal static Command Create()
    {
        var prune = new Command("prune", "Remove the entries (and PID files) of children that have exited; print each one removed.");
        prune.SetAction(async (parse, cancellationToken) =>
        {
            foreach (RegisteredChild child in await StateDirOption.OpenRegistry(parse).PruneAsync(cancellationToken))
                Console.Out.WriteLine($"removed {child.Name} (pid {child.Pid})");
            return ExitCodes.Ok;
        });
        return prune;
    }
}
