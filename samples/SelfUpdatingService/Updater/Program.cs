using System.Diagnostics;
using System.Runtime.InteropServices;

// The updater a service hands off to (Launcher.HandOffAsync / IOutliveLauncher.HandOffAsync): it runs in a scope of its
// own, so stopping the service does not stop it. Arguments: STAGED APP. It stops the service, swaps the two folders
// in one atomic rename (the old version ends up where the staged one was), starts the service and exits.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: SelfUpdatingService.Updater STAGED-FOLDER APP-FOLDER");
    return 2;
}
string staged = args[0], app = args[1];
string? unit = Environment.GetEnvironmentVariable("OUTLIVE_HANDOFF_UNIT");
string[] systemctl = Environment.GetEnvironmentVariable("OUTLIVE_HANDOFF_MANAGER") == "user" ? ["--user"] : [];
int caller = int.Parse(Environment.GetEnvironmentVariable("OUTLIVE_HANDOFF_PID") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
Log($"updating {unit ?? "(no unit)"} (pid {caller}): {staged} -> {app}");
if (unit is null)
{
    Log("not started by a systemd service: nothing to stop and start; giving up");
    return 1;
}

if (Run("systemctl", [.. systemctl, "stop", unit]) != 0)
    return 1;
// systemctl stop returns once the unit is inactive: its whole cgroup, the caller included, is gone by then.
Log($"stopped {unit}; pid {caller} {(Directory.Exists($"/proc/{caller}") ? "still runs" : "is gone")}");

// RENAME_EXCHANGE: both names always exist, each naming a whole version; there is no moment without an app folder.
if (Native.renameat2(Native.AT_FDCWD, staged, Native.AT_FDCWD, app, Native.RENAME_EXCHANGE) != 0)
{
    Log($"swapping {staged} and {app} failed: errno {Marshal.GetLastPInvokeError()}; starting the old version");
    Run("systemctl", [.. systemctl, "start", unit]);
    return 1;
}
Log($"swapped: {app} is the new version, {staged} the old one");

if (Run("systemctl", [.. systemctl, "start", unit]) != 0)
    return 1;
Log($"updater done: {unit} started again");
return 0;

static void Log(string line) => Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} updater[{Environment.ProcessId}]: {line}");

static int Run(string program, string[] arguments)
{
    using Process process = Process.Start(program, arguments);
    process.WaitForExit();
    if (process.ExitCode != 0)
        Log($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}");
    return process.ExitCode;
}

internal static partial class Native
{
    internal const int AT_FDCWD = -100;
    internal const uint RENAME_EXCHANGE = 2;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);
}
