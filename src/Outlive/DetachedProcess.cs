using Outlive.Spawn;

namespace Outlive;

/// <summary>
/// The kernel-level primitive: a child detached before it runs a single instruction of its program (new
/// session, no controlling terminal, clean signal state, only the fds it was given). It keeps running when
/// the caller exits or is killed. No systemd involved: <see cref="Launcher"/> adds the escape from the
/// caller's unit, <see cref="ChildRegistry"/> a name to find it by.
/// </summary>
public sealed class DetachedProcess
{
    private DetachedProcess(SpawnedChild child)
    {
        Pid = child.Pid;
        Identity = child.Identity;
        ExecutablePath = child.ExecutablePath;
        Exited = child.Exited;
    }

    public int Pid { get; }

    /// <summary>Pid + start time + boot id: still names this process after the PID is reused.</summary>
    public ProcessIdentity Identity { get; }

    /// <summary>The file that was executed (after the PATH lookup).</summary>
    public string ExecutablePath { get; }

    /// <summary>
    /// Completes when the child exits while this process lives (Outlive reaps it, so no zombie is left).
    /// Null when the status was taken by another reaper.
    /// </summary>
    public Task<ExitStatus?> Exited { get; }

    /// <summary>Starts the child; throws a <see cref="ChildStartException"/> and leaves nothing running on failure.</summary>
    public static DetachedProcess Start(DetachedStartInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return new DetachedProcess(DetachedSpawn.Start(info));
    }
}
