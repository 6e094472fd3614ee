namespace Outlive.Systemd;

/// <summary>systemd, or the D-Bus bus that leads to it, cannot be reached.</summary>
public sealed class SystemdUnavailableException(string message, Exception? inner = null) : OutliveException(message, inner)
{
    public override int ExitCode => ExitCodes.SystemdUnavailable;
}

/// <summary>systemd (or polkit on its behalf) refused the caller.</summary>
public sealed class SystemdPermissionDeniedException(string message, Exception? inner = null) : OutliveException(message, inner)
{
    public override int ExitCode => ExitCodes.PermissionDenied;
}

/// <summary>systemd answered, but said no: the unit exists, a job failed, or the request was rejected.</summary>
public class SystemdConflictException(string unit, string message, Exception? inner = null) : OutliveException(message, inner)
{
    public string Unit { get; } = unit;

    public override int ExitCode => ExitCodes.Conflict;
}

/// <summary>A transient unit by that name is already loaded.</summary>
public sealed class UnitExistsException(string unit, Exception? inner = null)
    : SystemdConflictException(unit, $"unit {unit} already exists; pick another name or stop it first (outlive stop)", inner);

/// <summary>A job systemd queued finished with a result other than <c>done</c>.</summary>
public sealed class SystemdJobFailedException(string unit, string result, ManagerKind manager = ManagerKind.System)
    : SystemdConflictException(unit, $"systemd job for {unit} finished '{result}'; see journalctl {(manager == ManagerKind.User ? "--user " : "")}-u {unit}")
{
    /// <summary>systemd's job result: canceled, timeout, failed, dependency, skipped.</summary>
    public string Result { get; } = result;
}

/// <summary>Any other D-Bus error reply from systemd, kept with its error name.</summary>
public sealed class SystemdRequestRejectedException(string unit, string errorName, string errorMessage, Exception? inner = null)
    : SystemdConflictException(unit, $"systemd rejected the request for {unit}: {errorMessage} ({errorName})", inner)
{
    public string ErrorName { get; } = errorName;
}

/// <summary>A string that is not a valid systemd unit name.</summary>
public sealed class InvalidUnitNameException(string name, string reason)
    : OutliveException($"'{name}' is not a valid systemd unit name: {reason}")
{
    public string Name { get; } = name;

    public override int ExitCode => ExitCodes.Usage;
}
