namespace Outlive;

/// <summary>
/// What to start and how. Immutable: derive variants with <c>with { … }</c>.
/// The child always starts in a new session (no controlling terminal), with an empty signal mask,
/// default signal dispositions, stdin on /dev/null and no inherited fds other than <see cref="PassedFds"/>.
/// </summary>
public sealed record DetachedStartInfo
{
    /// <summary>A path, or a name looked up on PATH like execvp does (the child's PATH when set).</summary>
    public required string Program { get; init; }

    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>
    /// The arguments as bytes, used instead of <see cref="Arguments"/> when set: Linux carries argv as bytes, and
    /// an argument that is not UTF-8 reaches the child untouched (not for a service: systemd takes text).
    /// </summary>
    public IReadOnlyList<byte[]>? ArgumentBytes { get; init; }

    /// <summary>Null: the caller's working directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>False starts from an empty environment (only <see cref="SetEnvironment"/>).</summary>
    public bool InheritEnvironment { get; init; } = true;

    /// <summary>
    /// The environment to start from, as "NAME=value" bytes, instead of this process's (<see cref="InheritEnvironment"/>):
    /// entries that are not UTF-8 (or whose names a shell would drop) reach the child untouched. The systemd scrub,
    /// <see cref="RemoveEnvironment"/> and <see cref="SetEnvironment"/> still apply.
    /// </summary>
    public IReadOnlyList<byte[]>? EnvironmentBytes { get; init; }

    public IReadOnlyDictionary<string, string> SetEnvironment { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<string> RemoveEnvironment { get; init; } = [];

    /// <summary>
    /// Keep the variables systemd gives the caller's unit: NOTIFY_SOCKET, LISTEN_*, WATCHDOG_*, INVOCATION_ID,
    /// JOURNAL_STREAM, SYSTEMD_EXEC_PID, MANAGERPID, RUNTIME_/STATE_/CACHE_/LOGS_/CONFIGURATION_DIRECTORY,
    /// CREDENTIALS_DIRECTORY, EXIT_CODE, EXIT_STATUS and MONITOR_*. Off by default: a detached child must not talk
    /// to its parent's unit, pass for one of its processes, or rely on directories that vanish when it stops.
    /// </summary>
    public bool KeepSystemdEnvironment { get; init; }

    public OutputTarget StandardOutput { get; init; } = OutputTarget.Null;

    public OutputTarget StandardError { get; init; } = OutputTarget.Null;

    /// <summary>The child's umask, e.g. 0o022; null keeps the caller's.</summary>
    public int? Umask { get; init; }

    /// <summary>Run as this user (name or uid); needs root. Sets HOME, USER and LOGNAME unless given.</summary>
    public string? User { get; init; }

    /// <summary>Primary group (name or gid); defaults to the user's.</summary>
    public string? Group { get; init; }

    /// <summary>Caller's fds handed to the child on purpose, as fd 3, 4, … in this order (like LISTEN_FDS).</summary>
    public IReadOnlyList<int> PassedFds { get; init; } = [];

    /// <summary>The command line as text (bytes that are not UTF-8 shown as U+FFFD): for the registry and unit descriptions.</summary>
    internal IReadOnlyList<string> CommandText => [Program, .. ArgumentBytes?.Select(b => System.Text.Encoding.UTF8.GetString(b)) ?? Arguments];
}
