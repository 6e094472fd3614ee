using System.Diagnostics;
using Outlive.Spawn;

namespace ExecTest;

/// <summary>Starts PROGRAM ARGS as a child and returns its PID.</summary>
internal delegate int StartChild(string program, string[] arguments);

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
            return process.Id;
        },
        // The seed's Setsid: true, through Outlive's core: a new session, detached from the parent's.
        ["setsid"] = (program, arguments) =>
            DetachedProcess.Start(new DetachedStartInfo { Program = program, Arguments = arguments }).Pid,
    };
}
