namespace Outlive;

/// <summary>
/// Base of every error Outlive reports: nothing else leaves a public method (argument validation aside).
/// The message is one line that names the thing (path, unit, user, name) and the fix.
/// </summary>
public abstract class OutliveException : Exception
{
    private protected OutliveException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The child could not be started: working directory, user or group, output file, or the spawn itself.</summary>
public class ChildStartException : OutliveException
{
    internal ChildStartException(string message, int errno, string? path = null, Exception? inner = null) : base(message, inner)
    {
        Errno = errno;
        Path = path;
    }

    /// <summary>The errno behind it (0 when no system call failed).</summary>
    public int Errno { get; }

    /// <summary>The file or directory at fault, when there is one.</summary>
    public string? Path { get; }
}

/// <summary>The program was not found (on PATH, or at the path given), or a file it needs to run is missing.</summary>
public sealed class ProgramNotFoundException : ChildStartException
{
    internal ProgramNotFoundException(string message, int errno, string path) : base(message, errno, path) { }
}

/// <summary>The program exists but cannot be executed (permissions, format).</summary>
public sealed class ProgramNotExecutableException : ChildStartException
{
    internal ProgramNotExecutableException(string message, int errno, string path) : base(message, errno, path) { }
}

/// <summary>No strategy would keep the child alive here, or the one asked for would not; nothing was started.</summary>
public sealed class EscapeRefusedException : OutliveException
{
    internal EscapeRefusedException(string message) : base(message) { }
}

/// <summary>systemd, its D-Bus API or the bus itself did not answer (or is not there: not the init, no user manager).</summary>
public sealed class SystemdUnavailableException : OutliveException
{
    internal SystemdUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Not allowed: polkit or a manager said no, a file or process belongs to another user, or /proc hides it.</summary>
public sealed class PermissionDeniedException : OutliveException
{
    internal PermissionDeniedException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Something is in the way: a name or unit is taken, a PID file names another process, or a systemd job failed.</summary>
public class ConflictException : OutliveException
{
    internal ConflictException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>No registered child by that name or PID.</summary>
public sealed class ChildNotFoundException : OutliveException
{
    internal ChildNotFoundException(string message) : base(message) { }
}

/// <summary>A file system operation failed for a reason Outlive has no more specific word for (disk full, I/O error).</summary>
internal sealed class OutliveIOException(string message, Exception? inner = null) : OutliveException(message, inner);

/// <summary>A name (registry name, unit name) that cannot be used; an argument error, so no <see cref="OutliveException"/>.</summary>
internal sealed class InvalidNameException(string message) : ArgumentException(message);
