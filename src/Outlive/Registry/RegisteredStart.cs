using Outlive.Escape;
using Outlive.Interop;

namespace Outlive.Registry;

/// <summary>
/// Starts a child under a registry name, in this order: reserve the name; create the child held (its program not
/// running); record the transient unit about to be asked for in the reservation; start the unit; write the PID file
/// and commit the entry; only then release the program. If this process dies at any point, either the program never
/// runs (the held child exits when its gate closes) or it is registered; a service (which systemd starts itself) left
/// running by an interrupted start is registered or stopped from its reservation by the next run, ps, status or prune.
/// </summary>
internal static class RegisteredStart
{
    /// <summary>How long the child a --replace displaces gets after SIGTERM before SIGKILL.</summary>
    public static readonly TimeSpan ReplaceTimeout = TimeSpan.FromSeconds(10);

    /// <returns>The child, with <see cref="LaunchedChild.Name"/> set.</returns>
    public static async Task<LaunchedChild> StartAsync(
        RegistryStore registry, ChildStopper stopper, RegistrationOptions registration, DetachedStartInfo start, EscapeOptions escape,
        CancellationToken cancellationToken)
    {
        using Reservation reservation = await registry.ReserveAsync(registration.Name, start.Program, registration.Replace, cancellationToken).ConfigureAwait(false);
        await FaultPoint.HitAsync("reserved", cancellationToken).ConfigureAwait(false);
        // Journal lines carry the registry name, so 'outlive logs NAME' finds them whatever the strategy.
        start = start with { StandardOutput = start.StandardOutput.IdentifiedAs(reservation.Name), StandardError = start.StandardError.IdentifiedAs(reservation.Name) };
        // The registry name is also the word in the unit's name, so 'outlive ps' and 'systemctl' agree.
        EscapeOptions named = escape with { Name = reservation.Name };
        // Everything that can refuse this start does so before --replace stops the child it would replace.
        EscapePlan plan = await EscapePlanner.PlanAsync(named, cancellationToken).ConfigureAwait(false);
        EscapeLauncher.CheckOptions(named, plan);
        Outlive.Spawn.DetachedSpawn.Prepare(start);
        if (registration.PidFile is not null)
            PidFile.CheckDirectory(registration.PidFile);
        if (reservation.Replaces is { } old)
        {
            var stopped = await stopper.StopAsync(old, Libc.SIGTERM, ReplaceTimeout, killAfter: true, cancellationToken).ConfigureAwait(false);
            if (stopped == StopOutcome.StillRunning)
                throw new ConflictException($"'{old.Name}' (pid {old.Pid}) did not stop for --replace, even after SIGKILL; nothing started");
        }
        // After the replaced child is gone: its PID file may be this one.
        if (registration.PidFile is not null)
            PidFile.EnsureAvailable(registration.PidFile);

        var steps = new Steps(registry, reservation, registration, start, cancellationToken);
        LaunchedChild child = await EscapeLauncher.StartAsync(start, named, plan, steps, cancellationToken).ConfigureAwait(false);
        return child with { Name = reservation.Name };
    }

    private sealed class Steps(
        RegistryStore registry, Reservation reservation, RegistrationOptions registration, DetachedStartInfo start, CancellationToken cancellationToken) : IStartSteps
    {
        private readonly IReadOnlyList<string> _command = start.CommandText;
        private readonly string _cwd = Path.GetFullPath(start.WorkingDirectory ?? Environment.CurrentDirectory);

        public Task UnitPlannedAsync(string unit, ManagerKind manager, EscapeStrategy strategy)
        {
            reservation.Plan(new PlannedStart(unit, manager, strategy, RegistryStore.Truncated(_command), _cwd,
                start.StandardOutput.Path, start.StandardError.Path));
            return Task.CompletedTask;
        }

        public void UnitAbandoned(string unit) => reservation.Abandon();

        public async Task ChildReadyAsync(LaunchedChild child)
        {
            var launch = new ChildLaunch(child.Identity!, child.Strategy, child.Unit, _command, _cwd,
                start.StandardOutput.Path, start.StandardError.Path, registration.PidFile, child.Manager,
                SecureFiles.IdentityOf(start.StandardOutput.Path), SecureFiles.IdentityOf(start.StandardError.Path),
                start.User is { } user ? Libc.LookupUser(user)?.Uid : null,
                start.StandardOutput.Kind == OutputKind.Journal || start.StandardError.Kind == OutputKind.Journal ? reservation.Name : null);
            if (registration.PidFile is not null)
                PidFile.Write(registration.PidFile, child.Pid);
            RegistryEntry entry;
            try
            {
                entry = reservation.Commit(launch);
            }
            catch
            {
                if (registration.PidFile is not null)
                    PidFile.Remove(registration.PidFile, child.Pid);
                throw;
            }
            try
            {
                await FaultPoint.HitAsync("committed", cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Undone after all: the held child never runs its program, so it must not stay listed either.
                registry.Remove(entry);
                throw;
            }
        }
    }
}
