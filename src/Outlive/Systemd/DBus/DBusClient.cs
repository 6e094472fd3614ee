using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Tmds.DBus.Protocol;

namespace Outlive.Systemd.DBus;

/// <summary>
/// Outlive's one D-Bus client: a connection to one bus, the calls Outlive makes on it
/// (<c>org.freedesktop.systemd1.Manager</c>, unit properties, and any other service such as polkit), and the
/// rules every call follows:
/// <list type="bullet">
/// <item>An awaited call resumes on the thread pool, never on the connection's read loop (Tmds.DBus.Protocol
/// completes replies there): a caller that blocks after an await would otherwise block every reply.</item>
/// <item>A broken connection (dbus or systemd restarted) is dropped and opened again, once, and an idempotent
/// call is retried; StartTransientUnit only when the unit does not exist yet.</item>
/// <item>Every failure is an <see cref="OutliveException"/>; every call and job gives up after <see cref="CallTimeout"/>.</item>
/// </list>
/// <see cref="For(ManagerKind)"/> gives the process-wide client of a manager (connecting and subscribing cost more
/// than a call); <c>new DBusClient(bus)</c> one the caller owns and disposes.
/// </summary>
internal sealed class DBusClient : IDisposable
{
    internal const string Systemd = "org.freedesktop.systemd1";
    internal const string ManagerPath = "/org/freedesktop/systemd1";
    internal const string ManagerInterface = "org.freedesktop.systemd1.Manager";
    private const string UnitInterface = "org.freedesktop.systemd1.Unit";
    private const string PropertiesInterface = "org.freedesktop.DBus.Properties";

    /// <summary>systemd's own socket: root's way to PID 1 when the system bus is down, as systemctl does.</summary>
    internal const string PrivateSocketAddress = "unix:path=/run/systemd/private";

    private static readonly Lock s_sharedLock = new();
    private static readonly Dictionary<SystemdBus, DBusClient> s_shared = [];

    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private Connected? _current;
    private bool _disposed;

    internal DBusClient(SystemdBus bus, TimeSpan? callTimeout = null)
    {
        Bus = bus;
        CallTimeout = callTimeout ?? TimeSpan.FromSeconds(25);
    }

    internal SystemdBus Bus { get; }

    private SystemdFeatures? _features;

    /// <summary>How long one call (or one job) may take; D-Bus's own default is 25 s.</summary>
    internal TimeSpan CallTimeout { get; }

    /// <summary>The process-wide client of <paramref name="manager"/>'s bus, made on first use and never disposed.</summary>
    internal static DBusClient For(ManagerKind manager) => For(SystemdBus.For(manager));

    internal static DBusClient For(SystemdBus bus)
    {
        lock (s_sharedLock)
        {
            if (!s_shared.TryGetValue(bus, out DBusClient? client))
                s_shared[bus] = client = new DBusClient(bus);
            return client;
        }
    }

    /// <summary>Connects now (calls connect on first use anyway); throws <see cref="SystemdUnavailableException"/> when nothing answers.</summary>
    internal async Task ConnectAsync(CancellationToken cancellationToken = default) =>
        await GetConnectedAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Connects now and sends the job-signal subscription (AddMatch, Subscribe), whose replies the first job call awaits
    /// together with its own: a caller begins this before work of its own that the round trips can overlap. Throws
    /// <see cref="SystemdUnavailableException"/> when nothing answers.
    /// </summary>
    internal Task ConnectForJobsAsync(CancellationToken cancellationToken = default) =>
        OnConnectionAsync(connected =>
        {
            SubscribeJobs(connected);
            return Task.FromResult(true);
        }, retry: true, cancellationToken);

    /// <summary>The Manager's Version property, e.g. "252.38-1~deb12u1".</summary>
    internal async Task<string> GetVersionAsync(CancellationToken cancellationToken = default)
    {
        VariantValue version = await GetPropertyAsync(ManagerPath, ManagerInterface, "Version", "the manager", cancellationToken).ConfigureAwait(false);
        return version.GetString();
    }

    /// <summary>What this manager understands, from its Version (asked once per client; a failed ask is asked again next time).</summary>
    internal async Task<SystemdFeatures> GetFeaturesAsync(CancellationToken cancellationToken = default)
    {
        if (_features is { } known)
            return known;
        SystemdFeatures features = SystemdFeatures.Of(await GetVersionAsync(cancellationToken).ConfigureAwait(false));
        _features = features;
        return features;
    }

    /// <summary>
    /// Creates and starts a transient unit and waits for its start job: returns once the job finished
    /// <c>done</c>; throws <see cref="SystemdJobFailedException"/> for any other result, <see cref="UnitExistsException"/>
    /// when the name is taken. After a broken connection the call is repeated only if the unit does not exist;
    /// if it does, the request got through and the unit's state tells how its start went.
    /// </summary>
    internal async Task StartTransientUnitAsync(string unit, IReadOnlyList<UnitProperty> properties, CancellationToken cancellationToken = default)
    {
        UnitName.Validate(unit);
        bool sentBefore = false;
        await OnConnectionAsync(async connected =>
        {
            // A request sent before the connection broke may have reached systemd: never start the unit twice.
            if (sentBefore && await TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false) is { } status)
            {
                await WaitWhileStartingAsync(unit, status, cancellationToken).ConfigureAwait(false);
                return true;
            }
            sentBefore = true;
            await StartJobAsync(connected, "StartTransientUnit", unit, CreateMessage, cancellationToken).ConfigureAwait(false);
            return true;
        }, retry: true, cancellationToken).ConfigureAwait(false);

        MessageBuffer CreateMessage(Connected connected)
        {
            MessageWriter writer = connected.Connection.GetMessageWriter();
            try
            {
                writer.WriteMethodCallHeader(connected.Destination(Systemd), ManagerPath, ManagerInterface, "StartTransientUnit", "ssa(sv)a(sa(sv))");
                writer.WriteString(unit);
                writer.WriteString("fail"); // job mode: refuse rather than replace a conflicting queued job
                ArrayStart list = writer.WriteArrayStart(DBusType.Struct);
                foreach (UnitProperty property in properties)
                {
                    writer.WriteStructureStart();
                    writer.WriteString(property.Name);
                    property.WriteVariant(ref writer);
                }
                writer.WriteArrayEnd(list);
                writer.WriteArrayEnd(writer.WriteArrayStart(DBusType.Struct)); // no auxiliary units
                return writer.CreateMessage();
            }
            finally
            {
                writer.Dispose();
            }
        }
    }

    /// <summary>
    /// Stops <paramref name="unit"/> (mode "replace") and waits for the stop job: up to <paramref name="jobTimeout"/>
    /// (a unit may take its TimeoutStopSec), else <see cref="CallTimeout"/>.
    /// </summary>
    internal Task StopUnitAsync(string unit, CancellationToken cancellationToken = default, TimeSpan? jobTimeout = null) =>
        UnitJobAsync("StopUnit", unit, retry: true, cancellationToken, jobTimeout);

    /// <summary>Restarts <paramref name="unit"/> (mode "replace") and waits for the restart job; not repeated after a broken connection.</summary>
    internal Task RestartUnitAsync(string unit, CancellationToken cancellationToken = default) =>
        UnitJobAsync("RestartUnit", unit, retry: false, cancellationToken);

    /// <summary>
    /// Queues a restart of <paramref name="unit"/> (mode "replace") and returns the job's path as soon as systemd
    /// accepted it, without waiting for the job: the job lives in systemd, so the caller may be stopped by it.
    /// Not repeated after a broken connection (a second restart could follow the first).
    /// </summary>
    internal Task<string> QueueRestartUnitAsync(string unit, CancellationToken cancellationToken = default)
    {
        UnitName.Validate(unit);
        return OnConnectionAsync(
            connected => CallOnceAsync(connected, "RestartUnit", unit, ReadObjectPath, c => ManagerCall(c, "RestartUnit", "ss", unit, "replace"), cancellationToken),
            retry: false, cancellationToken);
    }

    /// <summary>Sends <paramref name="signal"/> to the unit's processes; <paramref name="whom"/> is "all", "main" or "control".</summary>
    internal Task KillUnitAsync(string unit, int signal, string whom = "all", CancellationToken cancellationToken = default)
    {
        UnitName.Validate(unit);
        return CallAsync("KillUnit", unit, ReadNothing, connected =>
        {
            using MessageWriter writer = connected.Connection.GetMessageWriter();
            writer.WriteMethodCallHeader(connected.Destination(Systemd), ManagerPath, ManagerInterface, "KillUnit", "ssi");
            writer.WriteString(unit);
            writer.WriteString(whom);
            writer.WriteInt32(signal);
            return writer.CreateMessage();
        }, cancellationToken);
    }

    /// <summary>Clears a failed unit, so a transient one is collected.</summary>
    internal Task ResetFailedUnitAsync(string unit, CancellationToken cancellationToken = default)
    {
        UnitName.Validate(unit);
        return CallAsync("ResetFailedUnit", unit, ReadNothing, connected => ManagerCall(connected, "ResetFailedUnit", "s", unit), cancellationToken);
    }

    /// <summary><c>systemctl daemon-reload</c>: systemd answers once the reload is complete.</summary>
    internal Task ReloadAsync(CancellationToken cancellationToken = default) =>
        CallAsync("Reload", "the manager", ReadNothing, connected => ManagerCall(connected, "Reload", ""), cancellationToken);

    /// <summary>The object path of a loaded unit; null when it is not loaded.</summary>
    internal async Task<string?> TryGetUnitAsync(string unit, CancellationToken cancellationToken = default)
    {
        UnitName.Validate(unit);
        try
        {
            return await CallAsync("GetUnit", unit, ReadObjectPath, connected => ManagerCall(connected, "GetUnit", "s", unit), cancellationToken).ConfigureAwait(false);
        }
        catch (SystemdRequestRejectedException e) when (e.ErrorName == SystemdErrors.NoSuchUnit)
        {
            return null;
        }
    }

    /// <summary>Loads <paramref name="unit"/> from disk if needed and returns its object path (even for a unit that does not exist: its LoadState says so).</summary>
    internal Task<string> LoadUnitAsync(string unit, CancellationToken cancellationToken = default)
    {
        UnitName.Validate(unit);
        return CallAsync("LoadUnit", unit, ReadObjectPath, connected => ManagerCall(connected, "LoadUnit", "s", unit), cancellationToken);
    }

    /// <summary>
    /// The KillMode of <paramref name="unit"/>, in one call to its object path (no GetUnit first); null for a unit type
    /// without one. A unit that is not loaded is loaded by the lookup, and reports its default.
    /// </summary>
    internal async Task<KillMode?> GetKillModeAsync(string unit, CancellationToken cancellationToken = default)
    {
        UnitName.Validate(unit);
        if (!UnitName.HasKillMode(unit))
            return null;
        VariantValue mode = await GetPropertyAsync(UnitPath(unit), TypeInterface(UnitName.TypeOf(unit)!), "KillMode", unit, cancellationToken).ConfigureAwait(false);
        return SystemdEnums.ParseKillMode(mode.GetString());
    }

    /// <summary>
    /// A unit's object path as systemd makes it (sd_bus_path_encode): every byte of the name other than a letter, or a
    /// digit past the first, becomes _XX in lower-case hex. run-u1.service → /org/freedesktop/systemd1/unit/run_2du1_2eservice.
    /// </summary>
    internal static string UnitPath(string unit)
    {
        var path = new StringBuilder(UnitPathPrefix, UnitPathPrefix.Length + 3 * unit.Length);
        byte[] bytes = Encoding.UTF8.GetBytes(unit);
        for (int i = 0; i < bytes.Length; i++)
        {
            byte b = bytes[i];
            if (char.IsAsciiLetter((char)b) || (i > 0 && char.IsAsciiDigit((char)b)))
                path.Append((char)b);
            else
                path.Append('_').Append(b.ToString("x2", CultureInfo.InvariantCulture));
        }
        return path.ToString();
    }

    private const string UnitPathPrefix = "/org/freedesktop/systemd1/unit/";

    /// <summary>The status of a loaded unit; null when it is not loaded.</summary>
    internal async Task<UnitStatus?> TryGetUnitStatusAsync(string unit, CancellationToken cancellationToken = default)
    {
        string? path = await TryGetUnitAsync(unit, cancellationToken).ConfigureAwait(false);
        if (path is null)
            return null;
        try
        {
            return await GetUnitStatusAtAsync(path, unit, cancellationToken).ConfigureAwait(false);
        }
        catch (SystemdRequestRejectedException e) when (e.ErrorName is SystemdErrors.UnknownObject or SystemdErrors.NoSuchUnit)
        {
            return null; // unloaded between the two calls
        }
    }

    /// <summary>The status of the unit at <paramref name="unitPath"/> (from GetUnit, LoadUnit or GetUnitByPID).</summary>
    internal async Task<UnitStatus> GetUnitStatusAtAsync(string unitPath, string unit, CancellationToken cancellationToken = default)
    {
        var common = await GetAllPropertiesAsync(unitPath, UnitInterface, unit, cancellationToken).ConfigureAwait(false);
        string id = common.TryGetValue("Id", out var value) ? value.GetString() : unit;
        // Service, Scope, Socket, … each have their own interface with ControlGroup, KillMode and the rest.
        string? type = UnitName.TypeOf(id);
        var typed = type is null
            ? []
            : await GetAllPropertiesAsync(unitPath, TypeInterface(type), unit, cancellationToken).ConfigureAwait(false);
        return UnitStatus.From(common, typed);
    }

    /// <summary>The interface of a unit type's own properties: service → org.freedesktop.systemd1.Service.</summary>
    static string TypeInterface(string type) => "org.freedesktop.systemd1." + char.ToUpperInvariant(type[0]) + type[1..];

    /// <summary>The cgroup limits a unit lists (D-Bus names), typed as its transient properties take them.</summary>
    static readonly string[] LimitProperties = ["MemoryMax", "MemoryHigh", "CPUQuotaPerSecUSec", "CPUWeight", "TasksMax", "IOWeight"];

    /// <summary>
    /// The resource limits <paramref name="unit"/> has set, as properties for another unit (--inherit-limits). systemd
    /// reports an unset limit as the maximum (infinity, or "no weight"), which is left out.
    /// </summary>
    internal async Task<IReadOnlyList<UnitProperty>> GetResourceLimitsAsync(string unit, CancellationToken cancellationToken = default)
    {
        string? path = await TryGetUnitAsync(unit, cancellationToken).ConfigureAwait(false);
        if (path is null)
            return [];
        string? type = UnitName.TypeOf(unit);
        if (type is null or "slice" or "target")
            return [];
        var typed = await GetAllPropertiesAsync(path, TypeInterface(type), unit, cancellationToken).ConfigureAwait(false);
        var limits = new List<UnitProperty>();
        foreach (string name in LimitProperties)
        {
            if (typed.TryGetValue(name, out VariantValue value) && value.Type == VariantValueType.UInt64 && value.GetUInt64() != ulong.MaxValue)
                limits.Add(new UInt64Property(name, value.GetUInt64()));
        }
        return limits;
    }

    /// <summary>One property of a systemd object through org.freedesktop.DBus.Properties.Get.</summary>
    internal Task<VariantValue> GetPropertyAsync(string objectPath, string @interface, string property, string unit, CancellationToken cancellationToken = default) =>
        CallAsync("Get", unit, static (message, _) => message.GetBodyReader().ReadVariantValue(), connected =>
        {
            using MessageWriter writer = connected.Connection.GetMessageWriter();
            writer.WriteMethodCallHeader(connected.Destination(Systemd), objectPath, PropertiesInterface, "Get", "ss");
            writer.WriteString(@interface);
            writer.WriteString(property);
            return writer.CreateMessage();
        }, cancellationToken);

    /// <summary>All properties of one interface of a systemd object through org.freedesktop.DBus.Properties.GetAll.</summary>
    internal Task<Dictionary<string, VariantValue>> GetAllPropertiesAsync(string objectPath, string @interface, string unit, CancellationToken cancellationToken = default) =>
        CallAsync("GetAll", unit, static (message, _) => message.GetBodyReader().ReadDictionaryOfStringToVariantValue(), connected =>
        {
            using MessageWriter writer = connected.Connection.GetMessageWriter();
            writer.WriteMethodCallHeader(connected.Destination(Systemd), objectPath, PropertiesInterface, "GetAll", "s");
            writer.WriteString(@interface);
            return writer.CreateMessage();
        }, cancellationToken);

    /// <summary>
    /// Any idempotent method call on this bus (polkit's CheckAuthorization, the bus's own methods): the message is
    /// made per attempt, since a retry goes out on a new connection. <paramref name="what"/> names it in errors.
    /// </summary>
    internal Task<T> CallAsync<T>(string method, string what, MessageValueReader<T> reader, Func<Connected, MessageBuffer> createMessage, CancellationToken cancellationToken) =>
        OnConnectionAsync(connected => CallOnceAsync(connected, method, what, reader, createMessage, cancellationToken), retry: true, cancellationToken);

    public void Dispose()
    {
        Connected? current;
        lock (s_sharedLock)
        {
            _disposed = true;
            current = _current;
            _current = null;
        }
        current?.Dispose();
    }

    private Task UnitJobAsync(string method, string unit, bool retry, CancellationToken cancellationToken, TimeSpan? jobTimeout = null)
    {
        UnitName.Validate(unit);
        return OnConnectionAsync(async connected =>
        {
            await StartJobAsync(connected, method, unit, c => ManagerCall(c, method, "ss", unit, "replace"), cancellationToken, jobTimeout).ConfigureAwait(false);
            return true;
        }, retry, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on the current connection. When that connection breaks under it, the connection
    /// is forgotten and, with <paramref name="retry"/>, the operation runs once more on a new one.
    /// </summary>
    private async Task<T> OnConnectionAsync<T>(Func<Connected, Task<T>> operation, bool retry, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            Connected connected = await GetConnectedAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await operation(connected).ConfigureAwait(false);
            }
            catch (BrokenConnectionException broken)
            {
                Forget(connected);
                if (attempt > 0 || !retry)
                    throw broken.ToUnavailable();
            }
        }
    }

    /// <summary>Sends a method that queues a job and waits for the job's JobRemoved signal.</summary>
    private async Task StartJobAsync(
        Connected connected, string method, string unit, Func<Connected, MessageBuffer> createMessage, CancellationToken cancellationToken, TimeSpan? jobTimeout = null)
    {
        TimeSpan wait = jobTimeout ?? CallTimeout;
        (JobWatcher jobs, Task subscribed) = SubscribeJobs(connected);
        string job;
        string result;
        using (jobs.BeginCall())
        {
            // Right behind a new subscription on the wire, so their replies and this one are awaited together.
            Task<string> calling = CallOnceAsync(connected, method, unit, ReadObjectPath, createMessage, cancellationToken);
            try
            {
                await subscribed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                ObserveFailure(calling);
                throw;
            }
            job = await calling.ConfigureAwait(false);
            try
            {
                result = await jobs.WaitAsync(job).WaitAsync(wait, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException e)
            {
                throw new SystemdUnavailableException($"systemd's job {job} for {unit} did not finish within {wait.TotalSeconds:0} s; see systemctl list-jobs", e);
            }
        }
        if (result != "done")
            throw new SystemdJobFailedException(unit, result, Bus.Manager);
    }

    /// <summary>A unit that exists after a lost StartTransientUnit reply: wait for it to leave "activating", then judge its state.</summary>
    private async Task WaitWhileStartingAsync(string unit, UnitStatus status, CancellationToken cancellationToken)
    {
        DateTime deadline = DateTime.UtcNow + CallTimeout;
        while (status.ActiveState == "activating" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            status = await TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false) ?? status with { ActiveState = "inactive" };
        }
        if (status.ActiveState != "active")
            throw new SystemdJobFailedException(unit, status.ActiveState, Bus.Manager);
    }

    private async Task<T> CallOnceAsync<T>(Connected connected, string method, string what, MessageValueReader<T> reader, Func<Connected, MessageBuffer> createMessage, CancellationToken cancellationToken)
    {
        try
        {
            Task<T> call = connected.Connection.CallMethodAsync(createMessage(connected), reader);
            return await OffReadLoop(call).WaitAsync(CallTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (DBusErrorReplyException e)
        {
            throw SystemdErrors.Map(e, method, what, Bus.Manager);
        }
        catch (Exception e) when (IsBroken(e))
        {
            throw new BrokenConnectionException($"lost the {Words.Of(Bus.Manager)} bus at {connected.Address} during {method} for {what}: {e.Message}", e);
        }
        catch (TimeoutException e)
        {
            throw new SystemdUnavailableException($"no answer to {method} for {what} within {CallTimeout.TotalSeconds:0} s on {connected.Address}", e);
        }
        catch (DBusExceptionBase e)
        {
            throw new SystemdUnavailableException($"D-Bus failed during {method} for {what}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The connection's job watcher. On first use (or after a failed try) the JobRemoved match and Subscribe (systemd
    /// only emits job signals to subscribers) are sent, and are on the wire when this returns: a job call sent next is
    /// behind them, and the bus and systemd take a connection's messages in order, so the match is in place before the
    /// job exists. <c>Subscribed</c> completes when both are answered.
    /// </summary>
    private (JobWatcher Watcher, Task Subscribed) SubscribeJobs(Connected connected)
    {
        lock (connected.JobsLock)
        {
            if (connected.Jobs is null || connected.JobsSubscribed is null or { IsFaulted: true } or { IsCanceled: true })
            {
                connected.Jobs?.Dispose();
                JobWatcher watcher = JobWatcher.Start(connected.Connection, connected.IsBus);
                // Shared by every job on this connection, so bound by the call timeout rather than one caller's token.
                Task<bool> subscribing = CallOnceAsync(connected, "Subscribe", "the manager", ReadNothing, c => ManagerCall(c, "Subscribe", ""), CancellationToken.None);
                connected.Jobs = watcher;
                connected.JobsSubscribed = WhenSubscribedAsync(connected, watcher, subscribing);
                ObserveFailure(connected.JobsSubscribed); // a start that fails before its job call never awaits it
            }
            return (connected.Jobs, connected.JobsSubscribed);
        }
    }

    /// <summary>Both replies: the match's first (its failure is the one to report), then Subscribe's.</summary>
    private async Task WhenSubscribedAsync(Connected connected, JobWatcher watcher, Task subscribing)
    {
        try
        {
            await OffReadLoop(watcher.Matched).WaitAsync(CallTimeout).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            ObserveFailure(subscribing);
            if (MatchFailure(connected, e) is { } mapped)
                throw mapped;
            throw;
        }
        await subscribing.ConfigureAwait(false);
    }

    /// <summary>What a failed AddMatch becomes; null for an exception to pass on as it is (a cancellation).</summary>
    private Exception? MatchFailure(Connected connected, Exception e) => e switch
    {
        _ when IsBroken(e) || e is TimeoutException =>
            new BrokenConnectionException($"lost the {Words.Of(Bus.Manager)} bus at {connected.Address} while subscribing to job signals: {e.Message}", e),
        DBusErrorReplyException reply => SystemdErrors.Map(reply, "AddMatch", "job signals", Bus.Manager),
        DBusExceptionBase => new SystemdUnavailableException($"D-Bus failed while subscribing to job signals: {e.Message}", e),
        _ => null,
    };

    /// <summary>Marks a task's failure as seen, for a task whose outcome stopped mattering (no unobserved-exception noise).</summary>
    internal static void ObserveFailure(Task task) =>
        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private async Task<Connected> GetConnectedAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_current is { } current)
            return current;
        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is { } raced)
                return raced;
            Connected connected = await OpenAsync(cancellationToken).ConfigureAwait(false);
            lock (s_sharedLock)
            {
                if (_disposed)
                {
                    connected.Dispose();
                    throw new ObjectDisposedException(nameof(DBusClient));
                }
                _current = connected;
            }
            return connected;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    private async Task<Connected> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await OpenAtAsync(Bus.Address, cancellationToken).ConfigureAwait(false);
        }
        catch (SystemdUnavailableException) when (Bus.Manager == ManagerKind.System && Environment.IsPrivilegedProcess && File.Exists(PrivateSocketAddress["unix:path=".Length..]))
        {
            // Right after the bus went away, PID 1 can leave a new private connection unanswered (seen in the bed, about
            // one start in four, when a NativeAOT outlive connected within milliseconds of 'systemctl stop dbus'); a
            // second connection is answered at once. So: short tries, the whole call timeout in all.
            TimeSpan attempt = CallTimeout / 5;
            for (int left = 4; ; left--)
            {
                try
                {
                    return await OpenAtAsync(PrivateSocketAddress, cancellationToken, left > 0 ? attempt : CallTimeout - 4 * attempt).ConfigureAwait(false);
                }
                catch (SystemdUnavailableException e) when (left > 0 && e.InnerException is TimeoutException)
                {
                }
            }
        }
    }

    private async Task<Connected> OpenAtAsync(string address, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var connection = new DBusConnection(address);
        try
        {
            await OffReadLoop(connection.ConnectAsync().AsTask()).WaitAsync(timeout ?? CallTimeout, cancellationToken).ConfigureAwait(false);
            return new Connected(connection, address);
        }
        catch (Exception e) when (e is DBusExceptionBase or SocketException or IOException or TimeoutException or UnauthorizedAccessException)
        {
            connection.Dispose();
            throw new SystemdUnavailableException(
                $"cannot reach the {Words.Of(Bus.Manager)} bus at {address}: {e.Message}; is {(Bus.Manager == ManagerKind.System ? "dbus" : "the user manager")} running there?", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Forgets a connection that broke, so the next call opens a new one.</summary>
    private void Forget(Connected connected)
    {
        lock (s_sharedLock)
        {
            if (_current == connected)
                _current = null;
        }
        connected.Dispose();
    }

    /// <summary>
    /// Completes through a TaskCompletionSource whose continuations run on the thread pool: Tmds.DBus.Protocol
    /// completes a call on its read loop, and the caller's code must never run there.
    /// </summary>
    internal static Task<T> OffReadLoop<T>(Task<T> task)
    {
        if (task.IsCompleted)
            return task;
        var detached = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        task.ContinueWith(
            static (completed, state) => ((TaskCompletionSource<T>)state!).TrySetFromTask(completed),
            detached, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return detached.Task;
    }

    private static Task OffReadLoop(Task task)
    {
        if (task.IsCompleted)
            return task;
        var detached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        task.ContinueWith(
            static (completed, state) => ((TaskCompletionSource)state!).TrySetFromTask(completed),
            detached, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return detached.Task;
    }

    private static bool IsBroken(Exception e) =>
        e is DBusConnectionException or SocketException or IOException or ObjectDisposedException;

    private static MessageBuffer ManagerCall(Connected connected, string method, string signature, params string[] arguments)
    {
        using MessageWriter writer = connected.Connection.GetMessageWriter();
        writer.WriteMethodCallHeader(connected.Destination(Systemd), ManagerPath, ManagerInterface, method, signature.Length == 0 ? null : signature);
        foreach (string argument in arguments)
            writer.WriteString(argument);
        return writer.CreateMessage();
    }

    private static string ReadObjectPath(Message message, object? _) => message.GetBodyReader().ReadObjectPathAsString();

    private static bool ReadNothing(Message message, object? _) => true;

    /// <summary>One open connection and what hangs on it; replaced whole when it breaks.</summary>
    internal sealed class Connected(DBusConnection connection, string address) : IDisposable
    {
        public DBusConnection Connection { get; } = connection;

        public string Address { get; } = address;

        /// <summary>False on systemd's private socket: a direct connection, no bus daemon, no names.</summary>
        public bool IsBus { get; } = connection.UniqueName is not null;

        public Lock JobsLock { get; } = new();

        public JobWatcher? Jobs { get; set; }

        /// <summary>Completes when <see cref="Jobs"/>' match and Subscribe are answered.</summary>
        public Task? JobsSubscribed { get; set; }

        /// <summary>On a direct connection there is only one peer to talk to, and it has no bus name.</summary>
        public string? Destination(string service) => IsBus ? service : null;

        public void Dispose()
        {
            Jobs?.Dispose();
            Connection.Dispose();
        }
    }
}

/// <summary>The connection broke under a call or a job wait; the client reconnects once, else it becomes <see cref="SystemdUnavailableException"/>.</summary>
internal sealed class BrokenConnectionException(string message, Exception inner) : Exception(message, inner)
{
    public SystemdUnavailableException ToUnavailable() => new(Message, InnerException);
}
