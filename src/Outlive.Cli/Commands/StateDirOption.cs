using System.CommandLine;

namespace Outlive.Cli.Commands;

/// <summary>The global --state-dir (or OUTLIVE_STATE_DIR) every command's registry lives in.</summary>
internal static class StateDirOption
{
    internal static Option<string?> Option { get; } = new("--state-dir")
    {
        Description = "The registry directory (default: $OUTLIVE_STATE_DIR, else /run/outlive for root, ~/.local/state/outlive for others, /tmp/outlive-UID without a home).",
        Recursive = true,
    };

    /// <summary>The registry in the chosen state dir; children in a systemd unit are judged (and stopped) by their unit.</summary>
    internal static ChildRegistry OpenRegistry(ParseResult parse)
    {
        string? dir = parse.GetValue(Option);
        if (string.IsNullOrEmpty(dir))
            dir = Environment.GetEnvironmentVariable("OUTLIVE_STATE_DIR") is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        return new ChildRegistry(dir);
    }
}
