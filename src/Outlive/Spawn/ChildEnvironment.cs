using System.Collections;

namespace Outlive.Spawn;

/// <summary>Builds the child's environment block from a <see cref="DetachedStartInfo"/>.</summary>
internal static class ChildEnvironment
{
    /// <summary>Variables that tie a process to its service unit (sd_notify, socket activation, watchdog).</summary>
    internal static readonly string[] SystemdServiceVariables =
        ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID"];

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
