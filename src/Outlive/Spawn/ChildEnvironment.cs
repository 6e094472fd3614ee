using System.Collections;

namespace Outlive.Spawn;

/// <summary>Builds the child's environment block from a <see cref="DetachedStartInfo"/>.</summary>
internal static class ChildEnvironment
{
    /// <summary>
    /// Variables systemd sets for one unit's processes (systemd.exec(5) "Environment Variables in Spawned
    /// Processes"): talking to the unit (sd_notify, socket activation, watchdog), naming its invocation, its
    /// journal stream and its manager, and directories that vanish when the unit stops. A detached child is
    /// not that unit's process, so it gets none of them.
    /// </summary>
    internal static readonly string[] SystemdServiceVariables =
    [
        "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID",
        "INVOCATION_ID", "JOURNAL_STREAM", "SYSTEMD_EXEC_PID", "MANAGERPID",
        "RUNTIME_DIRECTORY", "STATE_DIRECTORY", "CACHE_DIRECTORY", "LOGS_DIRECTORY", "CONFIGURATION_DIRECTORY",
        "CREDENTIALS_DIRECTORY", "EXIT_CODE", "EXIT_STATUS",
    ];

    /// <summary>Prefixes of the same kind: OnFailure=/OnSuccess= units get MONITOR_SERVICE_RESULT, MONITOR_EXIT_CODE, ….</summary>
    internal static readonly string[] SystemdServicePrefixes = ["MONITOR_"];

    private static readonly Hashtable EmptyEnvironment = new();

    internal static Dictionary<string, string> Build(DetachedStartInfo info, Interop.Libc.UserEntry? user)
    {
        IDictionary inherited = info.InheritEnvironment ? Environment.GetEnvironmentVariables() : EmptyEnvironment;
        // Sized once for everything that may be added: no rehashing while it fills (the order of entries is the same).
        var env = new Dictionary<string, string>(inherited.Count + info.SetEnvironment.Count + 3, StringComparer.Ordinal);
        foreach (DictionaryEntry entry in inherited)
            env[(string)entry.Key] = (string?)entry.Value ?? "";
        if (!info.KeepSystemdEnvironment)
        {
            foreach (string name in SystemdServiceVariables)
                env.Remove(name);
            foreach (string name in env.Keys.Where(k => SystemdServicePrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToList())
                env.Remove(name);
        }
        if (user is { } u)
        {
            env["HOME"] = u.Home;
            env["USER"] = u.Name;
            env["LOGNAME"] = u.Name;
        }
        foreach (string name in info.RemoveEnvironment)
            env.Remove(name);
        foreach ((string name, string value) in info.SetEnvironment)
            env[name] = value;
        return env;
    }
}
