namespace Outlive.Registry;

/// <summary>The name is taken by a live (or not provably dead) child, or is being registered right now.</summary>
public sealed class ChildNameConflictException(string message) : OutliveException(message)
{
    public override int ExitCode => ExitCodes.Conflict;
}

/// <summary>A requested name that cannot be a registry file name.</summary>
public sealed class InvalidChildNameException(string message) : OutliveException(message)
{
    public override int ExitCode => ExitCodes.Usage;
}

/// <summary>No visible registry entry by that name or PID.</summary>
public sealed class ChildNotFoundException(string message) : OutliveException(message)
{
    public override int ExitCode => ExitCodes.NotFound;
}

/// <summary>The state dir, an entry or a process belongs to another user (or the state dir is a symlink).</summary>
public sealed class RegistryPermissionException(string message) : OutliveException(message)
{
    public override int ExitCode => ExitCodes.PermissionDenied;
}

/// <summary>A PID file names another live process, or another process holds its lock.</summary>
public sealed class PidFileConflictException(string message) : OutliveException(message)
{
    public override int ExitCode => ExitCodes.Conflict;
}

/// <summary>The process cannot be identified (its /proc entry is hidden), so it is not signalled.</summary>
public sealed class ChildStateUnknownException(string message) : OutliveException(message)
{
    public override int ExitCode => ExitCodes.Unknown;
}
