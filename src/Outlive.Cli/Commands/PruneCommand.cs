using System.CommandLine;
using Outlive.Registry;

namespace Outlive.Cli.Commands;

/// <summary><c>outlive prune</c>: forget the children that are gone.</summary>
internal static class PruneCommand
{
    internal static Command Create()
    {
        var prune = new Command("prune", "Remove the entries (and PID files) of children that have exited; print each one removed.");
        prune.SetAction(parse =>
        {
            var units = new SystemdChildUnits();
            foreach (var entry in StateDirOption.OpenRegistry(parse, units).Prune())
                Console.Out.WriteLine($"removed {entry.Name} (pid {entry.Pid})");
            return ExitCodes.Ok;
        });
        return prune;
    }
}
