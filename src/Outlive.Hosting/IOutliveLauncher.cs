namespace Outlive.Hosting;

/// <summary>
/// Outlive's front door for a host, injected by <c>AddOutlive()</c>: children are started with the host's
/// <see cref="OutliveOptions"/>, registered (so <c>outlive ps</c> and the health check see them), and every start is
/// logged (strategy, unit, pid, why). A child never gets the host's NOTIFY_SOCKET or other systemd variables, so under
/// <c>UseSystemd()</c> only the host itself reports READY and STOPPING.
/// </summary>
public interface IOutliveLauncher
{
    /// <summary>The registry the children are in, to list, find and stop them.</summary>
    ChildRegistry Registry { get; }

    /// <summary>Starts and registers a child, as <see cref="ChildRegistry.StartAsync"/> does with the host's options.</summary>
    Task<LaunchedChild> StartAsync(DetachedStartInfo start, RegistrationOptions? registration = null, CancellationToken cancellationToken = default);

    /// <summary>The self-update handoff: <see cref="Launcher.HandOffAsync"/>, logged.</summary>
    Task<HandOffResult> HandOffAsync(DetachedStartInfo updater, HandOff then = HandOff.None, CancellationToken cancellationToken = default);
}
