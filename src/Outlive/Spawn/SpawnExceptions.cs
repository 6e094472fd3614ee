namespace Outlive.Spawn;

/// <summary>The child could not be started; nothing was left running.</summary>
public class SpawnException : OutliveException
{
    public SpawnException(string message, int errno, string? path = null) : base(message)
    {
        Errno = errno;
        Path = path;
    }

    /// <summary>The errno behind the failure (0 when it was found before any system call).</summary>
    public int Errno { get; }

    /// <summary>The path the failure is about, when there is one.</summary>
    public string? Path { get; }

    public override int ExitCode => ExitCodes.StartFailed;
}

public sealed class ProgramNotFoundException(string message, int errno, string path) : SpawnException(message, errno, path)
{
    public override int ExitCode => ExitCodes.ProgramNotFound;
}

public sealed class ProgramNotExecutableException(string message, int errno, string path) : SpawnException(message, errno, path)
{
    public override int ExitCode => ExitCodes.NotExecutable;
}

public sealed class WorkingDirectoryException(string message, int errno, string path) : SpawnException(message, errno, path);

public sealed class UnknownUserException(string message) : SpawnException(message, 0);

public sealed class OutputFileException(string message, int errno, string path) : SpawnException(message, errno, path);
