using System.CommandLine;

namespace Outlive.Cli.Commands;

/// <summary>
/// The options that shape a transient unit, in systemd-run's words, shared by <c>run</c> and <c>adopt</c>:
/// --user/--system, -u/--unit, --description, -p/--property, --inherit-limits, --slice.
/// </summary>
internal sealed class UnitOptions
{
    private readonly Option<bool> _userManager = new("--user") { Description = "Make the transient unit on the calling user's manager (as systemd-run --user)." };
    private readonly Option<bool> _systemManager = new("--system") { Description = "Make the transient unit on the system manager (as systemd-run --system)." };
    private readonly Option<string?> _unit = new("--unit", "-u") { Description = "The transient unit's exact name (the unit type's suffix is added when missing)." };
    private readonly Option<string?> _description = new("--description") { Description = "The transient unit's Description=." };
    private readonly Option<string[]> _property = new("--property", "-p")
    {
        Description = "Set a unit property NAME=VALUE (repeatable): MemoryMax, MemoryHigh, TasksMax, CPUQuota, CPUWeight, IOWeight, RuntimeMaxSec, PartOf, After, …",
        AllowMultipleArgumentsPerToken = false,
    };
    private readonly Option<bool> _inheritLimits = new("--inherit-limits") { Description = "Copy the caller's unit's MemoryMax, MemoryHigh, CPUQuota, CPUWeight, TasksMax and IOWeight onto the child's unit." };
    private readonly Option<string?> _slice = new("--slice") { Description = "The slice for the transient unit." };

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { _userManager, _systemManager, _unit, _description, _property, _inheritLimits, _slice })
            command.Options.Add(option);
    }

    /// <summary><paramref name="escape"/> with these options set; a usage error when both managers are named.</summary>
    public EscapeOptions Apply(ParseResult parse, EscapeOptions escape)
    {
        if (parse.GetValue(_userManager) && parse.GetValue(_systemManager))
            throw new UsageException("--user and --system name one manager each: give one of them");
        return escape with
        {
            Slice = parse.GetValue(_slice),
            UnitName = parse.GetValue(_unit),
            Description = parse.GetValue(_description),
            Properties = parse.GetValue(_property) ?? [],
            InheritLimits = parse.GetValue(_inheritLimits),
            Manager = parse.GetValue(_userManager) ? ManagerKind.User : parse.GetValue(_systemManager) ? ManagerKind.System : null,
        };
    }
}
