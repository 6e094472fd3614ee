namespace Outlive.Registry;

/// <summary>
/// A name held for a child about to start. <see cref="Commit"/> once it runs; dispose without committing
/// (the start failed) and no trace is left. If this process dies first, the hold lapses by itself.
/// </summary>
internal sealed class Reservation : IDisposable
{
    private readonly RegistryStore _registry;
    private readonly string _token;
    private bool _closed;

    internal Reservation(RegistryStore registry, string name, string token, RegistryEntry? replaces)
    {
        _registry = registry;
        _token = token;
        Name = name;
        Replaces = replaces;
    }

    public string Name { get; }

    /// <summary>The live entry that had this name (reserved with replace): stop it before starting the new child.</summary>
    public RegistryEntry? Replaces { get; }

    /// <summary>Records the transient unit the start is about to ask for, so an interrupted start can be finished or undone.</summary>
    public void Plan(PlannedStart planned)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        _registry.PlanReservation(Name, _token, planned);
    }

    /// <summary>
    /// Leaves the reservation (and the unit it names) to <c>InterruptedStarts</c>: it is rewritten as held by nobody, so
    /// the next run, ps or prune finishes or undoes the start, and disposing no longer drops it.
    /// </summary>
    public void Abandon()
    {
        if (_closed)
            return;
        _closed = true;
        _registry.AbandonReservation(Name, _token);
    }

    /// <summary>Writes the child's entry under <see cref="Name"/> and releases the hold.</summary>
    public RegistryEntry Commit(ChildLaunch launch)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        var entry = _registry.Commit(Name, _token, launch);
        _closed = true;
        return entry;
    }

    public void Dispose()
    {
        if (_closed)
            return;
        _closed = true;
        _registry.DropReservation(Name, _token);
    }
}
