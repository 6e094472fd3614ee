using Tmds.DBus.Protocol;

namespace Outlive.Systemd.DBus;

/// <summary>
/// Collects the Manager's JobRemoved signals so a caller can await one job's result. The match is added
/// before any job is queued, and results that arrive while a call is still in flight (before its reply
/// named the job) are kept, so a fast job's signal is never missed.
/// </summary>
internal sealed class JobWatcher : IDisposable
{
    readonly Lock _lock = new();
    readonly Dictionary<string, TaskCompletionSource<string>> _jobs = [];
    readonly HashSet<string> _claimed = [];
    int _callsInFlight;
    Exception? _closed;
    IDisposable? _match;

    /// <summary>
    /// Adds the JobRemoved match: the AddMatch is on the wire when this returns (so a job call sent next is behind it),
    /// and <see cref="Matched"/> completes with its reply.
    /// </summary>
    /// <param name="isBus">False on systemd's private socket, where signals come straight from systemd and carry no sender.</param>
    public static JobWatcher Start(DBusConnection connection, bool isBus)
    {
        var watcher = new JobWatcher();
        var rule = new MatchRule
        {
            Type = MessageType.Signal,
            Sender = isBus ? DBusClient.Systemd : null,
            Path = DBusClient.ManagerPath,
            Interface = DBusClient.ManagerInterface,
            Member = "JobRemoved",
        };
        ValueTask<IDisposable> adding = connection.AddMatchAsync(
            rule,
            static (Message message, object? _) =>
            {
                // JobRemoved(u id, o job, s unit, s result)
                Reader reader = message.GetBodyReader();
                reader.ReadUInt32();
                string job = reader.ReadObjectPathAsString();
                reader.ReadString();
                return (Job: job, Result: reader.ReadString());
            },
            notification => watcher.OnJobRemoved(notification),
            emitOnCapturedContext: false,
            ObserverFlags.EmitOnConnectionClosed);
        watcher.Matched = watcher.KeepMatchAsync(adding);
        return watcher;
    }

    /// <summary>Completes when the bus has added the match (at once on a direct connection, which needs none).</summary>
    public Task Matched { get; private set; } = Task.CompletedTask;

    async Task KeepMatchAsync(ValueTask<IDisposable> adding)
    {
        IDisposable match = await adding.ConfigureAwait(false);
        lock (_lock)
        {
            if (_closed is null)
            {
                _match = match;
                return;
            }
        }
        match.Dispose(); // disposed (or the connection closed) before the bus answered
    }

    /// <summary>Call before sending a method that queues a job; dispose once its job has been claimed.</summary>
    public IDisposable BeginCall()
    {
        lock (_lock)
            _callsInFlight++;
        return new CallScope(this);
    }

    /// <summary>The result (done, canceled, timeout, failed, dependency, skipped) of <paramref name="job"/>.</summary>
    public Task<string> WaitAsync(string job)
    {
        lock (_lock)
        {
            _claimed.Add(job);
            return Entry(job).Task;
        }
    }

    void OnJobRemoved(Notification<(string Job, string Result)> notification)
    {
        lock (_lock)
        {
            if (notification.IsCompletion)
            {
                Exception reason = notification.CompletionReason;
                _closed = new BrokenConnectionException($"lost the bus connection to systemd while waiting for a job: {reason.Message}", reason);
                foreach (var pending in _jobs.Values)
                    pending.TrySetException(_closed);
                return;
            }
            (string job, string result) = notification.Value;
            if (_callsInFlight > 0 || _jobs.ContainsKey(job))
                Entry(job).TrySetResult(result);
        }
    }

    void EndCall()
    {
        lock (_lock)
        {
            if (--_callsInFlight > 0)
                return;
            // Nothing can claim a job any more: forget other clients' jobs and those already awaited.
            foreach (string job in _jobs.Keys.ToArray())
                if (!_claimed.Contains(job) || _jobs[job].Task.IsCompleted)
                {
                    _jobs.Remove(job);
                    _claimed.Remove(job);
                }
        }
    }

    TaskCompletionSource<string> Entry(string job)
    {
        if (!_jobs.TryGetValue(job, out var entry))
        {
            _jobs[job] = entry = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            // Once the connection is gone no signal will come: a job claimed after that fails at once.
            if (_closed is not null)
                entry.TrySetException(_closed);
        }
        return entry;
    }

    public void Dispose()
    {
        IDisposable? match;
        lock (_lock)
        {
            // A waiter on a connection being dropped must not sit out its timeout for a signal that cannot come.
            _closed ??= new BrokenConnectionException("the bus connection to systemd was closed while waiting for a job", new ObjectDisposedException(nameof(JobWatcher)));
            foreach (var pending in _jobs.Values)
                pending.TrySetException(_closed);
            match = _match;
            _match = null;
        }
        match?.Dispose();
    }

    sealed class CallScope(JobWatcher watcher) : IDisposable
    {
        int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                watcher.EndCall();
        }
    }
}
