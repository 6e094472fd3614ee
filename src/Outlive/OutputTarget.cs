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

    public override string ToString() => Kind == OutputKind.File ? Path! : Kind == OutputKind.Null ? "null" : "inherit";
}

internal enum OutputKind
{
    Null,
    Inherit,
    File,
}
