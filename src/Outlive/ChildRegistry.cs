using System.Globalization;
using Outlive.Registry;

namespace Outlive;

/// <summary>
/// Registered children: start one under a name, then find, list and stop it by that name from any process of
/// the same user (root sees everyone's). One file per child in a private state directory
/// (<see cref="StateDirectory"/>); a scope or service child's liveness is its unit's, asked over D-Bus.
/// Every method is async and safe to call from any context; every failure is an <see cref="OutliveException"/>.
/// </summary>
public sealed class ChildRegistry
{
    private readonly SystemdChildUnits _units = new();
    private readonly RegistryStore _store;
    private readonly ChildStopper _stopper;

    /// <param name="stateDirectory">
    /// Null for the default: <c>/run/outlive</c> for root, else <c>~/.local/state/outlive</c> (the same whether the
    /// user is logged in or lingers), else <c>/tmp/outlive-UID</c> for a user without a home of their own; entries an
    /// earlier version left in the runtime dir are moved there. Made 0700 on first use; refused when it is a symlink,
    /// another user's, or writable by others.
    /// </param>
    public ChildRegistry(string? stateDirectory = null)
    {
        _store = new RegistryStore(stateDirectory, _units.StateOfAsync);
        _stopper = new ChildStopper(_store, _units);
    }

    public string StateDirectory => _store.StateDir;

    /// <summary>
    /// Reserves the name, starts the child as <see cref="Launcher.StartAsync"/> does (the name is also the word in
    /// its unit's name), and writes its entry before the program runs: the child waits, held, until it is registered.
    /// If anything fails (or this process dies) before that, the program never runs and nothing is left.
    /// </summary>
    public Task<LaunchedChild> StartAsync(
        DetachedStartInfo start, EscapeOptions? escape = null, RegistrationOptions? registration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(start);
        return GuardAsync(async () =>
        {
            await InterruptedStarts.ResolveAsync(_store, cancellationToken).ConfigureAwait(false);
            return await RegisteredStart.StartAsync(
                _store, _stopper, registration ?? new RegistrationOptions(), start, escape ?? new EscapeOptions(), cancellationToken).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// Moves a process already running in a unit (by PID, or a registered setsid child by name) into a transient scope
    /// of its own and registers it (<c>outlive adopt</c>). Refuses init.scope, kernel threads, a unit's main process and
    /// another user's process (unless root).
    /// </summary>
    internal Task<RegisteredChild> AdoptAsync(string pidOrName, string? name, EscapeOptions scope, bool withDescendants, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pidOrName);
        return GuardAsync(async () =>
        {
            await InterruptedStarts.ResolveAsync(_store, cancellationToken).ConfigureAwait(false);
            RegistryEntry? registered = null;
            if (!int.TryParse(pidOrName, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                registered = await _store.FindAsync(pidOrName, cancellationToken).ConfigureAwait(false);
                if (registered.Unit is not null)
                    throw new EscapeRefusedException($"'{registered.Name}' is in its own unit already ({registered.Unit})");
                pid = registered.Pid;
            }
            RegistryEntry entry = await Adoption.AdoptAsync(_store, pid, name, scope, withDescendants, cancellationToken).ConfigureAwait(false);
            // A setsid child adopted by name now lives under its new entry; the old one would say the same PID twice.
            if (registered is not null)
                _store.Remove(registered);
            return await WithExitAsync(entry, await _store.GetStateAsync(entry, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        });
    }

    /// <summary>The child named <paramref name="nameOrPid"/>, or with that PID; <see cref="ChildNotFoundException"/> when there is none.</summary>
    public Task<RegisteredChild> GetAsync(string nameOrPid, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrPid);
        return GuardAsync(async () =>
        {
            await InterruptedStarts.ResolveAsync(_store, cancellationToken).ConfigureAwait(false);
            RegistryEntry entry = await _store.FindAsync(nameOrPid, cancellationToken).ConfigureAwait(false);
            return await WithExitAsync(entry, await _store.GetStateAsync(entry, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        });
    }

    /// <summary>Every registered child visible to this user, running or not (until <see cref="PruneAsync"/>), sorted by name.</summary>
    public async Task<IReadOnlyList<RegisteredChild>> ListAsync(CancellationToken cancellationToken = default) =>
        (await ListWithProblemsAsync(cancellationToken).ConfigureAwait(false)).Children;

    /// <summary>
    /// Stops the child (a scope or service child: its unit) with <paramref name="signal"/> (SIGTERM by default),
    /// waits up to <paramref name="timeout"/> (10 s) for it to end, then SIGKILLs it if <paramref name="killAfter"/>.
    /// Once it is gone its entry and PID file are removed. A recycled PID is never signalled.
    /// </summary>
    public async Task<StopOutcome> StopAsync(
        string nameOrPid, int signal = 15, TimeSpan? timeout = null, bool killAfter = false, CancellationToken cancellationToken = default) =>
        await StopAsync(await GetAsync(nameOrPid, cancellationToken).ConfigureAwait(false), signal, timeout, killAfter, cancellationToken).ConfigureAwait(false);

    /// <summary>Stops the very child <see cref="GetAsync"/> or <see cref="ListAsync"/> returned (not whoever holds its name now).</summary>
    /// <inheritdoc cref="StopAsync(string, int, TimeSpan?, bool, CancellationToken)"/>
    public Task<StopOutcome> StopAsync(RegisteredChild child, int signal, TimeSpan? timeout, bool killAfter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(child);
        ArgumentOutOfRangeException.ThrowIfLessThan(signal, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(signal, 64);
        return GuardAsync(() => _stopper.StopAsync(child.Entry, signal, timeout ?? TimeSpan.FromSeconds(10), killAfter, cancellationToken));
    }

    /// <summary>Forgets the children that are gone (removing their entries and PID files) and returns them.</summary>
    public Task<IReadOnlyList<RegisteredChild>> PruneAsync(CancellationToken cancellationToken = default) =>
        GuardAsync<IReadOnlyList<RegisteredChild>>(async () =>
        {
            // Every reservation, not only the marked ones: prune also finishes what an earlier version left.
            using (StateDirScan? scan = _store.Scan())
                await InterruptedStarts.ResolveAsync(_store, cancellationToken, scan).ConfigureAwait(false);
            IReadOnlyList<RegistryEntry> pruned = await _store.PruneAsync(cancellationToken).ConfigureAwait(false);
            var children = new List<RegisteredChild>(pruned.Count);
            foreach (RegistryEntry entry in pruned)
            {
                children.Add(await WithExitAsync(entry, ChildState.Gone, cancellationToken).ConfigureAwait(false));
                await _units.ForgetUnitAsync(entry, cancellationToken).ConfigureAwait(false);
            }
            return children;
        });

    /// <summary>The children and, for <c>outlive ps</c>, the entry files that could not be used.</summary>
    internal Task<(IReadOnlyList<RegisteredChild> Children, IReadOnlyList<RegistryProblem> Problems)> ListWithProblemsAsync(CancellationToken cancellationToken) =>
        GuardAsync<(IReadOnlyList<RegisteredChild>, IReadOnlyList<RegistryProblem>)>(async () =>
        {
            // One pass over the state dir serves both, unless resolving interrupted starts changed it.
            StateDirScan? scan = _store.Scan();
            RegistryListing listing;
            try
            {
                if (await InterruptedStarts.ResolveAsync(_store, cancellationToken, scan).ConfigureAwait(false))
                {
                    scan?.Dispose();
                    scan = _store.Scan();
                }
                listing = _store.List(scan);
            }
            finally
            {
                scan?.Dispose();
            }
            ChildState[] states = await _store.GetStatesAsync(listing.Entries, cancellationToken).ConfigureAwait(false);
            var children = new RegisteredChild[listing.Entries.Count];
            var asked = new List<Task>();
            for (int i = 0; i < children.Length; i++)
            {
                // Only a gone service child has an exit status to ask systemd for: the rest need no task each.
                if (SystemdChildUnits.MayHaveExitStatus(listing.Entries[i], states[i]))
                    asked.Add(FillAsync(i));
                else
                    children[i] = Without(listing.Entries[i], states[i]);
            }
            await Task.WhenAll(asked).ConfigureAwait(false);
            return ((IReadOnlyList<RegisteredChild>)children, listing.Problems);

            async Task FillAsync(int i) => children[i] = await WithExitAsync(listing.Entries[i], states[i], cancellationToken).ConfigureAwait(false);
        });

    /// <summary>The child with its exit status, when it is gone and systemd recorded one (a service child).</summary>
    private async Task<RegisteredChild> WithExitAsync(RegistryEntry entry, ChildState state, CancellationToken cancellationToken) =>
        SystemdChildUnits.MayHaveExitStatus(entry, state)
            ? new(entry, state, await _units.ExitOfAsync(entry, cancellationToken).ConfigureAwait(false))
            : Without(entry, state);

    /// <summary>The child when there is no exit status to ask for (see <see cref="SystemdChildUnits.MayHaveExitStatus"/>).</summary>
    private RegisteredChild Without(RegistryEntry entry, ChildState state) =>
        new(entry, state, null, state == ChildState.Running ? _units.ProcessesOf(entry) : null);

    /// <summary>File system errors the registry has no more specific word for still leave as an <see cref="OutliveException"/>.</summary>
    private static async Task<T> GuardAsync<T>(Func<Task<T>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new OutliveIOException(e.Message, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new PermissionDeniedException(e.Message, e);
        }
    }
}
