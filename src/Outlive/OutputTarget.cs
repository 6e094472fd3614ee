namespace Outlive;

/// <summary>Where a detached child's stdout or stderr goes.</summary>
public sealed record OutputTarget
{
    private OutputTarget(OutputKind kind, string? path, bool allowsSpecialFile = false)
    {
        Kind = kind;
        Path = path;
        AllowsSpecialFile = allowsSpecialFile || path == "/dev/null";
    }

    internal OutputKind Kind { get; }

    /// <summary>Whether the path may name a FIFO, socket or device (<see cref="AppendToAnyFile"/>, or /dev/null itself).</summary>
    internal bool AllowsSpecialFile { get; }

    /// <summary>The absolute path of the file appended to; null for /dev/null and the caller's own stream.</summary>
    public string? Path { get; }

    /// <summary>/dev/null: the default, so a child never writes into a terminal or pipe that is gone.</summary>
    public static OutputTarget Null { get; } = new(OutputKind.Null, null);

    /// <summary>The caller's own stream (for interactive use; the child may outlive whatever reads it).</summary>
    public static OutputTarget Inherit { get; } = new(OutputKind.Inherit, null);

    /// <summary>
    /// A regular file, appended to; created with mode 0640 (less the umask) if missing. Anything else (a FIFO, socket
    /// or device, which can block the start or vanish) is refused when the child starts; see <see cref="AppendToAnyFile"/>.
    /// </summary>
    public static OutputTarget AppendToFile(string path) => new(OutputKind.File, System.IO.Path.GetFullPath(path));

    /// <summary>Like <see cref="AppendToFile"/>, but a FIFO, socket or device is accepted too (opened without blocking: a FIFO must have a reader).</summary>
    public static OutputTarget AppendToAnyFile(string path) => new(OutputKind.File, System.IO.Path.GetFullPath(path), allowsSpecialFile: true);

    /// <summary>
    /// The systemd journal, for any strategy: a setsid or scope child writes into a stream from journald's socket
    /// (<c>/run/systemd/journal/stdout</c>), a service child gets <c>StandardOutput=journal</c>. Lines carry
    /// <c>SYSLOG_IDENTIFIER=</c><paramref name="identifier"/> (null: the child's registry name, or its program's name).
    /// </summary>
    public static OutputTarget ToJournal(string? identifier = null) => new(OutputKind.Journal, null) { Identifier = identifier };

    /// <summary>For <see cref="ToJournal"/>: the journal's SYSLOG_IDENTIFIER for this child's lines.</summary>
    internal string? Identifier { get; init; }

    /// <summary>This journal target, tagged <paramref name="identifier"/> unless it was tagged already.</summary>
    internal OutputTarget IdentifiedAs(string identifier) => Kind == OutputKind.Journal && Identifier is null ? this with { Identifier = identifier } : this;

    public override string ToString() => Kind switch
    {
        OutputKind.File => Path!,
        OutputKind.Null => "null",
        OutputKind.Journal => "journal",
        _ => "inherit",
    };
}

internal enum OutputKind
{
    Null,
    Inherit,
    File,
    Journal,
}
