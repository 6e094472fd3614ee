namespace Outlive.SystemdBed.Diagnosis;

using System.Globalization;
using System.Text.Json;
using Outlive.SystemdBed.Bed;

/// <summary>Runs the built <c>outlive</c> inside the bed (artifacts/ is shared at the same path), and services that use it.</summary>
internal static class OutliveInBed
{
    /// <summary>The outlive the bed runs (<see cref="RepoLayout.Cli"/>: the NativeAOT binary when current).</summary>
    internal static string Cli => RepoLayout.Cli;

    internal static Task<BedCommandResult> RunOutliveAsync(this SystemdBed bed, params string[] args) =>
        bed.RunAsync(["env", $"DOTNET_ROOT={RepoLayout.DotnetRoot}", Cli, .. args]);

    /// <summary>
    /// A service whose main process first runs <paramref name="script"/> (with <c>OUTLIVE</c> standing for the
    /// binary), then becomes <c>sleep 100000</c> by exec, so its MainPID stays put.
    /// </summary>
    internal static string Service(string killMode, string script, string? user = null) => $"""
        [Service]
        Type=exec
        ExecStart=/bin/sh -c '{script.Replace("OUTLIVE", Cli, StringComparison.Ordinal)}; exec /bin/sleep 100000'
        Environment=DOTNET_ROOT={RepoLayout.DotnetRoot}
        KillMode={killMode}
        {(user is null ? "" : "User=" + user)}

        """;

    /// <summary>The pid and start time of a child that <c>outlive run --json</c> wrote to <paramref name="path"/> inside the bed.</summary>
    internal static async Task<(int Pid, ulong StartTime)> ReadStartedChildAsync(SystemdBed bed, string path)
    {
        for (int attempt = 0; attempt < 300; attempt++)
        {
            if (bed.TryReadFile(path) is { Length: > 0 } text && text.EndsWith('\n'))
            {
                using var json = JsonDocument.Parse(text);
                return (json.RootElement.GetProperty("pid").GetInt32(), json.RootElement.GetProperty("startTime").GetUInt64());
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"no child recorded in {path} within 15 s");
    }

    internal static async Task<int> MainPidAsync(SystemdBed bed, string unit)
    {
        for (int attempt = 0; attempt < 300; attempt++)
        {
            // Type=exec: active once exec succeeded; wait for the shell to have become sleep.
            int pid = int.Parse(await bed.ShowPropertyAsync(unit, "MainPID"), CultureInfo.InvariantCulture);
            if (pid > 0 && bed.TryReadProcStat(pid)?.Command == "sleep")
                return pid;
            await Task.Delay(50);
        }
        throw new TimeoutException($"{unit}'s main process did not become sleep within 15 s");
    }

    /// <summary>SIGKILLs leftovers by pid (never by name), ignoring those already gone.</summary>
    internal static async Task KillAsync(SystemdBed bed, params int[] pids)
    {
        foreach (int pid in pids)
            await bed.RunAsync("kill", "-9", pid.ToString(CultureInfo.InvariantCulture));
    }
}
