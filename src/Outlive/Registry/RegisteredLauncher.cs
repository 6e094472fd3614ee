using Outlive.Interop;
using Outlive.Spawn;
using Outlive.Systemd.Escape;

namespace Outlive.Registry;

/// <summary>Registry options of a start: the name (null: PROGRAM-XXXX), whether to replace a live holder, a PID file.</summary>
public sealed record RegistrationOptions(string? Name = null, bool Replace = false, string? PidFile = null);

/// <summary>The child that was started and its entry (null when a service's program exited before it could be registered).</summary>
public sealed record RegisteredChild(LaunchedChild Child, RegistryEntry? Entry);

/// <summary>
/// Starts a child under a registry name. The name is reserved before anything starts and the entry written once the
/// child runs; if anything fails in between, the child is killed and neither an entry nor a PID file is left.
/// </summary>
public static class RegisteredLauncher
{
    /// <summary>How long the child a --replace displaces gets after SIGTERM before SIGKILL.</summary>
    public static readonly TimeSpan ReplaceTimeout = TimeSpan.FromSeconds(10);

    public static async Task<RegisteredChild> StartAsync(
        ChildRegistry registry, ChildStopper stopper, RegistrationOptions registration, DetachedStartInfo start, EscapeOptions escape,
        CancellationToken cancellationToken = default)
    {
        using Reservation reservation = registry.Reserve(registration.Name, start.Program, registration.Replace);
        if (reservation.Replaces is { } old)
        {
            var stopped = await stopper.StopAsync(old, Libc.SIGTERM, ReplaceTimeout, killAfter: true, cancellationToken).ConfigureAwait(false);
            if (stopped.Outcome == StopOutcome.StillRunning)
                throw new ChildNameConflictException($"'{old.Name}' (pid {old.Pid}) did not stop for --replace, even after SIGKILL; nothing started");
        }
        if (registration.PidFile is not null)
            PidFile.EnsureAvailable(registration.PidFile);

        // The registry name is also the word in the unit's name, so 'outlive ps' and 'systemctl' agree.
        LaunchedChild child = await Launcher.StartAsync(start, escape with { Name = reservation.Name }, cancellationToken).ConfigureAwait(false);
        if (child.Identity is not { } identity)
            return new RegisteredChild(child, null); // a service whose program already exited: nothing to register
        var launch = new ChildLaunch(
            identity,
            child.Strategy.ToString().ToLowerInvariant(),
            child.Unit,
            [start.Program, .. start.Arguments],
            Path.GetFullPath(start.WorkingDirectory ?? Environment.CurrentDirectory),
            FileOf(start.StandardOutput),
            FileOf(start.StandardError),
            registration.PidFile,
            child.Manager?.ToString().ToLowerInvariant());
        try
        {
            if (registration.PidFile is not null)
                PidFile.Write(registration.PidFile, child.Pid);
            try
            {
                return new RegisteredChild(child, reservation.Commit(launch));
            }
            catch
            {
                if (registration.PidFile is not null)
                    PidFile.Remove(registration.PidFile, child.Pid);
                throw;
            }
        }
        catch
        {
            // Not registered, so nothing could ever find it again: it must not run on.
            await stopper.StopAsync(registry.EntryFor(reservation.Name, launch), Libc.SIGKILL, ChildStopper.KillWait, killAfter: true, CancellationToken.None)
                .ConfigureAwait(false);
            throw;
        }
    }

    private static string? FileOf(OutputTarget target) => target.Kind == OutputKind.File ? target.Path : null;
}
