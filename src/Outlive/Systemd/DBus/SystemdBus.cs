using System.Globalization;
using Outlive.Interop;

namespace Outlive.Systemd.DBus;

/// <summary>Which D-Bus bus reaches a systemd manager, and at what address.</summary>
/// <param name="Manager">The manager on the other end: PID 1 (system bus) or the caller's user manager (user bus).</param>
/// <param name="Address">A D-Bus address, e.g. <c>unix:path=/run/dbus/system_bus_socket</c>.</param>
internal sealed record SystemdBus(ManagerKind Manager, string Address)
{
    public const string DefaultSystemAddress = "unix:path=/run/dbus/system_bus_socket";

    /// <summary>The bus of <paramref name="manager"/>: <see cref="System"/> or the caller's <see cref="User"/> bus.</summary>
    public static SystemdBus For(ManagerKind manager) => manager == ManagerKind.System ? System() : User();

    /// <summary>The system bus: <c>DBUS_SYSTEM_BUS_ADDRESS</c>, else the well-known socket.</summary>
    public static SystemdBus System(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        return new SystemdBus(ManagerKind.System, NonEmpty(environment("DBUS_SYSTEM_BUS_ADDRESS")) ?? DefaultSystemAddress);
    }

    /// <summary>
    /// The caller's user bus: <c>DBUS_SESSION_BUS_ADDRESS</c>, else <c>$XDG_RUNTIME_DIR/bus</c> (what
    /// sd_bus_open_user does), else <c>/run/user/UID/bus</c> when it exists (a <c>User=</c> service has neither
    /// variable, but its user's manager, if it runs, listens there). Throws when there is none.
    /// </summary>
    public static SystemdBus User(Func<string, string?>? environment = null, uint? uid = null, Func<string, bool>? exists = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (NonEmpty(environment("DBUS_SESSION_BUS_ADDRESS")) is { } address)
            return new SystemdBus(ManagerKind.User, address);
        if (NonEmpty(environment("XDG_RUNTIME_DIR")) is { } runtimeDir)
            return new SystemdBus(ManagerKind.User, "unix:path=" + Path.Combine(runtimeDir, "bus"));
        string socket = $"/run/user/{(uid ?? Libc.getuid()).ToString(CultureInfo.InvariantCulture)}/bus";
        if ((exists ?? File.Exists)(socket))
            return new SystemdBus(ManagerKind.User, "unix:path=" + socket);
        throw new SystemdUnavailableException(
            $"no user bus: neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set, and there is no {socket}: the user manager is not running (loginctl enable-linger starts it)");
    }

    static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
