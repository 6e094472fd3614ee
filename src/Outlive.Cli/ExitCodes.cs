namespace Outlive.Cli;

/// <summary>
/// The CLI's exit codes, one table for every command (README "Exit codes" and --help repeat it); the tests compile
/// this file too. Status codes follow LSB (0 running, 3 not running, 4 unknown); 126/127 follow the shell.
/// </summary>
internal static partial class ExitCodes
{
    public const int Ok = 0;
    /// <summary>A check answered "no" (doctor: a child would not survive; stop: still running), or an I/O error.</summary>
    public const int No = 1;
    /// <summary>status: the child is gone but its PID file is still there (LSB "program is dead and the pid file exists").</summary>
    public const int DeadWithPidFile = 1;
    public const int Usage = 2;
    public const int NotRunning = 3;
    public const int Unknown = 4;
    /// <summary>No strategy can keep the child alive here; nothing was started.</summary>
    public const int EscapeRefused = 5;
    /// <summary>stop: no such child (systemctl stop's code for a unit that is not loaded).</summary>
    public const int StopNoSuchChild = 5;
    /// <summary>systemd or its D-Bus API is not reachable.</summary>
    public const int SystemdUnavailable = 6;
    /// <summary>Permission denied: polkit said no, or the entry belongs to another user.</summary>
    public const int PermissionDenied = 7;
    /// <summary>A systemd job failed, or a unit or registry name is already taken.</summary>
    public const int Conflict = 8;
    /// <summary>No registry entry by that name or PID.</summary>
    public const int NotFound = 9;
    /// <summary>run --escape service: the program exited right after systemd started it (its status is in the message).</summary>
    public const int ExitedAtOnce = 10;
    /// <summary>stop: the child was stopped, but its registry entry could not be removed (a read-only state dir).</summary>
    public const int StoppedEntryKept = 11;
    /// <summary>The child could not be started for a reason other than 126/127 (working directory, user, output file).</summary>
    public const int StartFailed = 125;
    public const int NotExecutable = 126;
    public const int ProgramNotFound = 127;
}
