using Tmds.DBus.Protocol;

namespace Outlive.Systemd.DBus;

/// <summary>Turns D-Bus error replies from systemd (org.freedesktop.systemd1(5)) into Outlive's exceptions.</summary>
internal static class SystemdErrors
{
    public const string AccessDenied = "org.freedesktop.DBus.Error.AccessDenied";
    public const string InteractiveAuthorizationRequired = "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired";
    public const string UnknownObject = "org.freedesktop.DBus.Error.UnknownObject";
    public const string UnitExists = "org.freedesktop.systemd1.UnitExists";
    public const string NoSuchUnit = "org.freedesktop.systemd1.NoSuchUnit";

    private static readonly string[] Unreachable =
    [
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
        "org.freedesktop.DBus.Error.NoReply",
        "org.freedesktop.DBus.Error.Disconnected",
        "org.freedesktop.DBus.Error.TimedOut",
        "org.freedesktop.DBus.Error.NoServer",
    ];

    /// <param name="method">The D-Bus method, for the message.</param>
    /// <param name="unit">What it was about (a unit, "the manager", polkit), for the message.</param>
    public static OutliveException Map(string errorName, string errorMessage, string method, string unit, ManagerKind manager, Exception? inner = null)
    {
        if (errorName is AccessDenied or InteractiveAuthorizationRequired)
            return new PermissionDeniedException(manager == ManagerKind.System
                ? $"systemd refused {method} for {unit} to user {Environment.UserName}: {errorMessage.TrimEnd('.')}; a non-root caller needs a polkit rule allowing org.freedesktop.systemd1.manage-units"
                : $"the user manager refused {method} for {unit}: {errorMessage}", inner);
        if (errorName == UnitExists)
            return new UnitExistsException(unit, inner);
        // Spawn.*: the bus tried to start the service on demand and could not (a session bus without systemd).
        if (Unreachable.Contains(errorName) || errorName.StartsWith("org.freedesktop.DBus.Error.Spawn.", StringComparison.Ordinal))
            return new SystemdUnavailableException($"no answer to {method} for {unit} ({errorName}); is systemd running and on this bus?", inner);
        return new SystemdRequestRejectedException(unit, errorName, errorMessage, inner);
    }

    public static OutliveException Map(DBusErrorReplyException e, string method, string unit, ManagerKind manager) =>
        Map(e.ErrorName, e.ErrorMessage, method, unit, manager, e);
}

/// <summary>StartTransientUnit for a name that is taken.</summary>
internal sealed class UnitExistsException(string unit, Exception? inner = null)
    : ConflictException($"unit {unit} already exists; pick another name or stop it first (outlive stop)", inner)
{
    public string Unit { get; } = unit;
}

/// <summary>A job finished with another result than "done" (failed, canceled, timeout, dependency, skipped).</summary>
internal sealed class SystemdJobFailedException(string unit, string result, ManagerKind manager)
    : ConflictException($"systemd job for {unit} finished '{result}'; see journalctl {(manager == ManagerKind.User ? "--user " : "")}-u {unit}");

/// <summary>Any other D-Bus error reply; <see cref="ErrorName"/> lets a caller expect one (NoSuchUnit).</summary>
internal sealed class SystemdRequestRejectedException(string unit, string errorName, string errorMessage, Exception? inner = null)
    : ConflictException($"systemd rejected the request for {unit}: {errorMessage} ({errorName})", inner)
{
    public string ErrorName { get; } = errorName;
}
