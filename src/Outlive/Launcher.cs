using Outlive.Diagnosis;
using Outlive.Escape;

namespace Outlive;

/// <summary>
/// Outlive's front door: starts a detached child and, where the caller's systemd unit would kill it,
/// puts it in a transient unit of its own first. Async all the way, and safe to call from any context:
/// no continuation of the caller runs on a D-Bus read loop. For a child with a name to find, stop and list
/// it by, use <see cref="ChildRegistry"/>; for the bare kernel primitive, <see cref="DetachedProcess"/>.
/// </summary>
public static class Launcher
{
    /// <summary>
    /// Starts <paramref name="start"/> the way <paramref name="escape"/> says (default: <see cref="EscapeStrategy.Auto"/>).
    /// Throws an <see cref="OutliveException"/>: <see cref="EscapeRefusedException"/> when no strategy keeps the
    /// child alive here (nothing was started), <see cref="ChildStartException"/> when the child cannot start,
    /// <see cref="SystemdUnavailableException"/> or <see cref="PermissionDeniedException"/> from systemd.
    /// </summary>
    public static Task<LaunchedChild> StartAsync(DetachedStartInfo start, EscapeOptions? escape = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(start);
        return EscapeLauncher.StartAsync(start, escape ?? new EscapeOptions(), steps: null, cancellationToken);
    }

    /// <summary>
    /// The self-update handoff, as one call: starts <paramref name="updater"/> so that it outlives this process's own unit
    /// (in a transient scope of its own under systemd, keeping this process's namespaces such as PrivateTmp; a setsid
    /// child without systemd, as <see cref="HandOffResult.Reason"/> says), then with <see cref="HandOff.RestartOwnUnit"/>
    /// queues a restart of that unit without waiting for it. The updater's environment names the unit
    /// (<c>OUTLIVE_HANDOFF_UNIT</c>, <c>OUTLIVE_HANDOFF_MANAGER</c>: system or user) and this process
    /// (<c>OUTLIVE_HANDOFF_PID</c>). Throws as <see cref="StartAsync"/> when the updater cannot start; a restart that
    /// systemd refuses is reported in the result (the updater runs by then).
    /// </summary>
    public static Task<HandOffResult> HandOffAsync(DetachedStartInfo updater, HandOff then = HandOff.None, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(updater);
        return HandOffStart.StartAsync(updater, then, cancellationToken);
    }

    /// <summary>
    /// What would become of a child this process started now with <paramref name="strategy"/>: survives a stop,
    /// a restart, a crash of the caller's unit? The same rules as <c>outlive doctor</c>; for
    /// <see cref="EscapeStrategy.Auto"/> the verdict is for the strategy auto picks, the way <see cref="StartAsync"/> picks it.
    /// </summary>
    public static Task<Verdict> PredictAsync(EscapeStrategy strategy = EscapeStrategy.Auto, CancellationToken cancellationToken = default) =>
        Doctor.PredictAsync(strategy, cancellationToken);
}
