using Outlive.Systemd.DBus;

namespace Outlive.Systemd.Escape;

/// <summary>
/// One D-Bus connection per bus for the life of the process. Connecting (socket, auth, Hello) and
/// subscribing to job signals cost more than the StartTransientUnit call itself, and a parent that starts
/// many children, or plans and then starts one, asks the same manager every time.
/// </summary>
internal static class ManagerConnections
{
    private static readonly SemaphoreSlim s_gate = new(1, 1);
    private static readonly Dictionary<SystemdBus, SystemdManager> s_open = [];

    internal static async Task<SystemdManager> GetAsync(SystemdBus bus, CancellationToken cancellationToken)
    {
        await s_gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!s_open.TryGetValue(bus, out SystemdManager? systemd))
                s_open[bus] = systemd = await SystemdManager.ConnectAsync(bus, cancellationToken).ConfigureAwait(false);
            return systemd;
        }
        finally
        {
            s_gate.Release();
        }
    }

    /// <summary>Drops a connection that failed (systemd or dbus restarted), so the next call connects afresh.</summary>
    internal static void Forget(SystemdBus bus, SystemdManager systemd)
    {
        s_gate.Wait();
        try
        {
            if (s_open.TryGetValue(bus, out SystemdManager? open) && ReferenceEquals(open, systemd))
                s_open.Remove(bus);
        }
        finally
        {
            s_gate.Release();
        }
        systemd.Dispose();
    }
}
