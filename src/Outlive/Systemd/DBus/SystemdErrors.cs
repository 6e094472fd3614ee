using Tmds.DBus.Protocol;

namespace Outlive.Systemd.DBus;

/// <summary>Turns D-Bus error replies from systemd into Outlive's exceptions, with the fix in the message.</summary>
internal static class SystemdErrors
{
    public const string AccessDenied = "org.freedesktop.DBus.Error.AccessDenied";
    public const string InteractiveAuthorizationRequired = "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired";
    public const string UnitExists = "org.freedesktop.systemd1.UnitExists";
    public const string NoSuchUnit = "org.freedesktop.systemd1.NoSuchUnit";
    public const string NoUnitForPid = "org.freedesktop.systemd1.NoUnitForPID";

    static readonly string[] Unreachable =
    [
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
        "org.freedesktop.DBus.Error.NoReply",
        "org.freedesktop.DBus.Error.Disconnected",
        "org.freedesktop.DBus.Error.TimedOut",
        "org.freedesktop.DBus.Error.NoServer",
    ];

    /// <param name="errorName">The D-Bus error name.</param>
    /// <param name="errorMessage">systemd's text for it.</param>
    /// <param name="method">The Manager method that failed, e.g. StartTransientUnit.</param>
    /// <param name="unit">The unit the call was about (or a description of the target).</param>
    /// <param name="manager">Which manager was asked; the permission fix differs.</param>
    /// <param name="inner">The D-Bus exception, kept for diagnostics.</param>
    public static OutliveException Map(string errorName, string errorMessage, string method, string unit, ManagerKind manager, Exception? inner = null)
    {
        if (errorName is AccessDenied or InteractiveAuthorizationRequired)
            return new SystemdPermissionDeniedException(manager == ManagerKind.System
                ? $"systemd refused {method} for {unit} to user {Environment.UserName}: a non-root caller needs a polkit rule allowing org.freedesktop.systemd1.manage-units, or run `outlive fix-unit UNIT` as root to set KillMode=process on the calling service"
                : $"the user manager refused {method} for {unit}: {errorMessage}", inner);
        if (errorName == UnitExists)
            return new UnitExistsException(unit, inner);
        if (Unreachable.Contains(errorName))
            return new SystemdUnavailableException($"systemd did not answer {method} for {unit} ({errorName}); is systemd running and on this bus?", inner);
        return new SystemdRequestRejectedException(unit, errorName, errorMessage, inner);
    }

    public static OutliveException Map(DBusErrorReplyException e, string method, string unit, ManagerKind manager) =>
        Map(e.ErrorName, e.ErrorMessage, method, unit, manager, e);
}
