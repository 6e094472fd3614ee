using System.Collections;
using System.Text;

namespace Outlive.Spawn;

/// <summary>
/// A child's environment as posix_spawn takes it: "NAME=value" entries, each NUL-terminated, back to back in one
/// array (bytes as given: an entry that is not UTF-8 stays untouched). One allocation per start, and the spawn
/// copies it into its native block in one piece.
/// </summary>
internal sealed class EnvironmentBlock(byte[] bytes, int length, int count)
{
    /// <summary>The entries, each followed by its NUL; <see cref="Length"/> bytes of it are used.</summary>
    internal byte[] Bytes { get; } = bytes;

    internal int Length { get; } = length;

    internal int Count { get; } = count;

    /// <summary>The entries without their NULs, in order.</summary>
    internal IEnumerable<byte[]> Entries
    {
        get
        {
            for (int start = 0; start < Length;)
            {
                int end = Array.IndexOf(Bytes, (byte)0, start, Length - start);
                yield return Bytes[start..end];
                start = end + 1;
            }
        }
    }

    /// <summary>The value of <paramref name="name"/>, decoded; null when unset (the last entry wins, as in getenv).</summary>
    internal string? Find(string name)
    {
        Span<byte> start = stackalloc byte[Encoding.UTF8.GetMaxByteCount(name.Length) + 1];
        start = start[..(Encoding.UTF8.GetBytes(name, start) + 1)];
        start[^1] = (byte)'=';
        ReadOnlySpan<byte> rest = Bytes.AsSpan(0, Length);
        ReadOnlySpan<byte> value = default;
        bool found = false;
        while (!rest.IsEmpty)
        {
            int end = rest.IndexOf((byte)0);
            if (rest[..end].StartsWith(start))
            {
                value = rest[start.Length..end];
                found = true;
            }
            rest = rest[(end + 1)..];
        }
        return found ? Encoding.UTF8.GetString(value) : null;
    }
}

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

    private static readonly HashSet<string> s_systemdVariables = new(SystemdServiceVariables, StringComparer.Ordinal);

    /// <summary>
    /// The child's environment, in order: the caller's (or <see cref="DetachedStartInfo.EnvironmentBytes"/>, untouched,
    /// not-UTF-8 entries included), less systemd's per-unit variables, less <see cref="DetachedStartInfo.RemoveEnvironment"/>,
    /// then HOME/USER/LOGNAME for another user (unless removed) and <see cref="DetachedStartInfo.SetEnvironment"/> (a name
    /// set is first taken out wherever it was). Entries are encoded straight into the block: no string or array per entry.
    /// </summary>
    internal static EnvironmentBlock Build(DetachedStartInfo info, Interop.Libc.UserEntry? user)
    {
        var block = new BlockWriter();
        var set = new List<(string Name, string Value)>(info.SetEnvironment.Count + 3);
        if (user is { } u)
            set.AddRange(new[] { ("HOME", u.Home), ("USER", u.Name), ("LOGNAME", u.Name) }.Where(v => !info.RemoveEnvironment.Contains(v.Item1)));
        foreach ((string name, string value) in info.SetEnvironment)
        {
            set.RemoveAll(s => s.Name == name);
            set.Add((name, value));
        }

        if (info.EnvironmentBytes is { } raw)
        {
            foreach (byte[] entry in raw)
            {
                if (Keeps(info, set, entry))
                    block.Add(entry);
            }
        }
        else if (info.InheritEnvironment)
        {
            foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
            {
                string name = (string)e.Key;
                if (Keeps(info, set, name))
                    block.Add(name, (string?)e.Value ?? "");
            }
        }
        foreach ((string name, string value) in set)
            block.Add(name, value);
        return block.ToBlock();
    }

    private static bool Keeps(DetachedStartInfo info, List<(string Name, string Value)> set, string name)
    {
        if (!info.KeepSystemdEnvironment && IsSystemdVariable(name))
            return false;
        foreach (string removed in info.RemoveEnvironment)
        {
            if (removed == name)
                return false;
        }
        foreach ((string setName, _) in set)
        {
            if (setName == name)
                return false;
        }
        return true;
    }

    /// <summary>The same test for an entry given as bytes: its name is what comes before the first '='.</summary>
    private static bool Keeps(DetachedStartInfo info, List<(string Name, string Value)> set, byte[] entry)
    {
        int equals = Array.IndexOf(entry, (byte)'=');
        // An entry without '=' names no variable, so nothing removes it.
        if (equals < 0)
            return true;
        if (!System.Text.Unicode.Utf8.IsValid(entry.AsSpan(0, equals)))
            return true;
        return Keeps(info, set, Encoding.UTF8.GetString(entry, 0, equals));
    }

    private static bool IsSystemdVariable(string name)
    {
        if (s_systemdVariables.Contains(name))
            return true;
        foreach (string prefix in SystemdServicePrefixes)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    /// <summary>
    /// Appends NUL-terminated entries to this thread's scratch array, which grows as needed and is kept for the next
    /// start; the block gets an exact copy, so a start leaves one array behind, not the scratch space.
    /// </summary>
    private struct BlockWriter()
    {
        [ThreadStatic]
        private static byte[]? t_scratch;

        private byte[] _bytes = t_scratch ??= new byte[4096];
        private int _length;
        private int _count;

        public void Add(string name, string value)
        {
            int size = Encoding.UTF8.GetByteCount(name) + 1 + Encoding.UTF8.GetByteCount(value) + 1;
            Span<byte> target = Reserve(size);
            int written = Encoding.UTF8.GetBytes(name, target);
            target[written++] = (byte)'=';
            written += Encoding.UTF8.GetBytes(value, target[written..]);
            target[written] = 0;
        }

        public void Add(byte[] entry)
        {
            Span<byte> target = Reserve(entry.Length + 1);
            entry.CopyTo(target);
            target[entry.Length] = 0;
        }

        private Span<byte> Reserve(int size)
        {
            if (_length + size > _bytes.Length)
            {
                Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + size));
                t_scratch = _bytes;
            }
            Span<byte> target = _bytes.AsSpan(_length, size);
            _length += size;
            _count++;
            return target;
        }

        public readonly EnvironmentBlock ToBlock() => new(_bytes[.._length], _length, _count);
    }
}
