using System.Diagnostics;
using Outlive;

namespace ExecTest;

/// <summary>Starts PROGRAM ARGS as a child and returns its PID.</summary>
internal delegate Task<int> StartChild(string program, string[] arguments);

/// <summary>
/// The ways exectest can start its child. A new escape strategy becomes a new entry here (and a new
/// column in the bed's survival matrix); nothing else in exectest changes.
/// </summary>
internal static class ChildMethods
{
    public static readonly IReadOnlyDictionary<string, StartChild> ByName = new Dictionary<string, StartChild>
    {
        // The seed's baseline: an ordinary child in the parent's session, process group and cgroup.
        ["plain"] = (program, arguments) =>
        {
            using var process = Process.Start(new ProcessStartInfo(program, arguments) { UseShellExecute = false })!;
            return Task.FromResult(process.Id);
        },
        // The seed's Setsid: true, through Outlive's core: a new session, detached from the parent's.
        ["setsid"] = (program, arguments) =>
            Task.FromResult(DetachedProcess.Start(new DetachedStartInfo { Program = program, Arguments = arguments }).Pid),
        // Outlive's escapes: the child in a transient unit of its own, or whatever auto decides here.
        ["scope"] = (program, arguments) => Escape(EscapeStrategy.Scope, program, arguments),
        ["service"] = (program, arguments) => Escape(EscapeStrategy.Service, program, arguments),
        ["auto"] = (program, arguments) => Escape(EscapeStrategy.Auto, program, arguments),
    };

    private static async Task<int> Escape(EscapeStrategy strategy, string program, string[] arguments)
    {
        LaunchedChild child = await Launcher.StartAsync(
            new DetachedStartInfo { Program = program, Arguments = arguments },
            new EscapeOptions { Strategy = strategy, Name = "exectest" });
        Console.WriteLine($"exectest: {child.Strategy} child {child.Pid} in {child.Unit ?? "the service's cgroup"}: {child.Reason}");
        return child.Pid;
    }
}
