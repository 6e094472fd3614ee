using Outlive.Escape;
using Outlive.Interop;

namespace Outlive.Registry;

/// <summary>
/// Starts a child under a registry name. The name is reserved before anything starts and the entry written once the
/// child runs; if anything fails in between, the child is killed and neither an entry nor a PID file is left.
/// </summary>
internal static class RegisteredStart
{
    /// <summary>How long the child a --replace displaces gets after SIGTERM before SIGKILL.</summary>
    public static readonly TimeSpan ReplaceTimeout = TimeSpan.FromSeconds(10);

    /// <returns>The child, with <see cref="LaunchedChild.Name"/>; and its entry, null when a service's program exited before it could be registered.</returns>
    public static async Task<(LaunchedChild Child, RegistryEntry? Entry)> StartAsync(
        RegistryStore registry, ChildStopper stopper, RegistrationOptions registration, DetachedStartInfo start, EscapeOptions escape,
        CancellationToken cancellationToken)
    {
        using Reservation reservation = await registry.ReserveAsync(registration.Name, start.Program, registration.Replace, cancellationToken).ConfigureAwait(false);
        if (reservation.Replaces is { } old)
        {
            var stopped = await stopper.StopAsync(old, Libc.SIGTERM, ReplaceTimeout, killAfter: true, cancellationToken).ConfigureAwait(false);
            if (stopped == StopOutcome.StillRunning)
                throw new ConflictException($"'{old.Name}' (pid {old.Pid}) did not stop for --replace, even after SIGKILL; nothing started");
        }
        if (registration.PidFile is not null)
            PidFile.EnsureAvailable(registration.PidFile);

        // The registry name is also the word in the unit's name, so 'outlive ps' and 'systemctl' agree.
        LaunchedChild child = await EscapeLauncher.StartAsync(start, escape with { Name = reservation.Name }, cancellationToken).ConfigureAwait(false);
        if (child.Identity is not { } identity)
            return (child, null); // a service whose program already exited: nothing to register
        child = child with { Name = reservation.Name };
        var launch = new ChildLaunch(
            identity,
            child.Strategy,
            child.Unit,
            [start.Program, .. start.Arguments],
            Path.GetFullPath(start.WorkingDirectory ?? Environment.CurrentDirectory),
            start.StandardOutput.Path,
            start.StandardError.Path,
            registration.PidFile,
            child.Manager);
        try
        {
            if (registration.PidFile is not null)
                PidFile.Write(registration.PidFile, child.Pid);
            try
            {
                return (child, reservation.Commit(launch));
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
}
