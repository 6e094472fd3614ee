using System.Collections;
using System.Text;

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

    /// <summary>
    /// The child's environment as "NAME=value" byte strings, in order: the caller's (or <see cref="DetachedStartInfo.EnvironmentBytes"/>,
    /// untouched, not-UTF-8 entries included), less systemd's per-unit variables, HOME/USER/LOGNAME for another user,
    /// less <see cref="DetachedStartInfo.RemoveEnvironment"/>, plus <see cref="DetachedStartInfo.SetEnvironment"/>.
    /// </summary>
    internal static List<byte[]> Build(DetachedStartInfo info, Interop.Libc.UserEntry? user)
    {
        List<byte[]> env = info.EnvironmentBytes is { } raw ? [.. raw]
            : info.InheritEnvironment ? [.. Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().Select(e => Entry((string)e.Key, (string?)e.Value ?? ""))]
            : [];
        if (!info.KeepSystemdEnvironment)
            env.RemoveAll(e => s_scrubbed.Any(start => e.AsSpan().StartsWith(start)));
        if (user is { } u)
        {
            Set(env, "HOME", u.Home);
            Set(env, "USER", u.Name);
            Set(env, "LOGNAME", u.Name);
        }
        foreach (string name in info.RemoveEnvironment)
            Remove(env, name);
        foreach ((string name, string value) in info.SetEnvironment)
            Set(env, name, value);
        return env;
    }

    /// <summary>The value of <paramref name="name"/> in <paramref name="env"/>, decoded; null when unset.</summary>
    internal static string? Find(IReadOnlyList<byte[]> env, string name)
    {
        byte[] start = Start(name);
        return env.LastOrDefault(e => e.AsSpan().StartsWith(start)) is { } entry ? Encoding.UTF8.GetString(entry, start.Length, entry.Length - start.Length) : null;
    }

    internal static byte[] Entry(string name, string value) => Encoding.UTF8.GetBytes(name + "=" + value);

    private static void Set(List<byte[]> env, string name, string value)
    {
        Remove(env, name);
        env.Add(Entry(name, value));
    }

    private static void Remove(List<byte[]> env, string name)
    {
        byte[] start = Start(name);
        env.RemoveAll(e => e.AsSpan().StartsWith(start));
    }

    /// <summary>How the scrubbed entries start: "NAME=" for each variable, and each prefix.</summary>
    private static readonly byte[][] s_scrubbed =
        [.. SystemdServiceVariables.Select(name => Encoding.ASCII.GetBytes(name + "=")), .. SystemdServicePrefixes.Select(Encoding.ASCII.GetBytes)];

    /// <summary>How an entry of <paramref name="name"/> starts: "NAME=", encoded once per lookup, not once per entry.</summary>
    private static byte[] Start(string name) => Encoding.UTF8.GetBytes(name + "=");
}
