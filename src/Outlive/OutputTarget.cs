namespace Outlive;

/// <summary>Where a detached child's stdout or stderr goes.</summary>
public sealed record OutputTarget
{
    private OutputTarget(OutputKind kind, string? path)
    {
        Kind = kind;
        Path = path;
    }

    internal OutputKind Kind { get; }

    /// <summary>The absolute path of the file appended to; null for /dev/null and the caller's own stream.</summary>
    public string? Path { get; }

    /// <summary>/dev/null: the default, so a child never writes into a terminal or pipe that is gone.</summary>
    public static OutputTarget Null { get; } = new(OutputKind.Null, null);

    /// <summary>The caller's own stream (for interactive use; the child may outlive whatever reads it).</summary>
    public static OutputTarget Inherit { get; } = new(OutputKind.Inherit, null);

    /// <summary>Appended to; created with mode 0640 (less the umask) if missing.</summary>
    public static OutputTarget AppendToFile(string path) => new(OutputKind.File, System.IO.Path.GetFullPath(path));

    public override string ToString() => Kind == OutputKind.File ? Path! : Kind == OutputKind.Null ? "null" : "inherit";
}

internal enum OutputKind
{
    Null,
    Inherit,
    File,
}
