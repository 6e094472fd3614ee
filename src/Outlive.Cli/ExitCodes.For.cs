using Outlive.Diagnosis;
using Outlive.Escape;
using Outlive.Registry;

namespace Outlive.Cli;

/// <summary>The one place that turns the library's exceptions into exit codes.</summary>
internal static partial class ExitCodes
{
    /// <summary>The exit code for an error that ended a command; the most specific type first.</summary>
    public static int For(Exception error) => error switch
    {
        ProgramNotFoundException => ProgramNotFound,
        ProgramNotExecutableException => NotExecutable,
        ServiceExitedException => ExitedAtOnce,
        EntryNotRemovedException => StoppedEntryKept,
        NoSuchUnitException => NotFound,
        ChildStartException => StartFailed,
        EscapeRefusedException => EscapeRefused,
        SystemdUnavailableException => SystemdUnavailable,
        PermissionDeniedException or UnauthorizedAccessException => PermissionDenied,
        ConflictException => Conflict,
        ChildNotFoundException or ProcessNotFoundException => NotFound,
        UnitNotRunningException => NotRunning,
        UsageException or ArgumentException => Usage,
        _ => No,
    };
}
