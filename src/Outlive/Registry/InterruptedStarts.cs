using Outlive.Systemd.DBus;

namespace Outlive.Registry;

/// <summary>
/// Starts whose process died after it asked systemd for a transient unit and before it registered the child (the
/// reservation names the unit, its holder is gone). A running service is registered: its program runs, so it must
/// be findable. A scope is stopped: its held child never ran its program. Anything else is dropped.
/// </summary>
internal static class InterruptedStarts
{
    /// <param name="scan">The state dir as just scanned; null to scan it now.</param>
    /// <returns>Whether there was any: then the state dir may have changed since <paramref name="scan"/>.</returns>
    internal static async Task<bool> ResolveAsync(RegistryStore store, CancellationToken cancellationToken, StateDirScan? scan = null)
    {
        var interrupted = store.InterruptedStarts(scan);
        foreach (var (name, record) in interrupted)
        {
            if (record.Planned is { } planned)
            {
                try
                {
                    DBusClient systemd = DBusClient.For(planned.Manager);
                    UnitStatus? status = await systemd.TryGetUnitStatusAsync(planned.Unit, cancellationToken).ConfigureAwait(false);
                    if (planned.Strategy == EscapeStrategy.Service && status is { IsRunning: true, MainPid: > 0 and var mainPid }
                        && ProcessIdentity.TryCapture((int)mainPid) is { } child
                        && store.CommitInterrupted(name, record, planned.LaunchOf(child)) is not RegistryStore.InterruptedCommit.NameTaken)
                        continue; // registered now, by us or by whoever got there first
                    if (status is { IsRunning: true })
                        await systemd.StopUnitAsync(planned.Unit, cancellationToken).ConfigureAwait(false);
                }
                catch (SystemdRequestRejectedException e) when (e.ErrorName == SystemdErrors.NoSuchUnit)
                {
                    // Gone while we looked: nothing left to undo.
                }
                catch (OutliveException)
                {
                    continue; // cannot tell or undo now: the reservation stays for the next run, ps or prune
                }
            }
            store.DropReservation(name, record.Token);
        }
        return interrupted.Count > 0;
    }
}
