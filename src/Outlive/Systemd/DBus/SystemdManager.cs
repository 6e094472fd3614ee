using System.Net.Sockets;
using Tmds.DBus.Protocol;

namespace Outlive.Systemd.DBus;

/// <summary>
/// A client for <c>org.freedesktop.systemd1.Manager</c> (org.freedesktop.systemd1(5)) on one bus
/// connection. Every call takes a CancellationToken and gives up after <see cref="CallTimeout"/>;
/// D-Bus errors become <see cref="OutliveException"/>s (see <see cref="SystemdErrors"/>).
/// </summary>
public sealed class SystemdManager : IDisposable
{
    internal const string Service = "org.freedesktop.systemd1";
    internal const string ManagerPath = "/org/freedesktop/systemd1";
    internal const string ManagerInterface = "org.freedesktop.systemd1.Manager";
    const string UnitInterface = "org.freedesktop.systemd1.Unit";
    const string PropertiesInterface = "org.freedesktop.DBus.Properties";

    readonly DBusConnection _connection;
    readonly SemaphoreSlim _watcherGate = new(1, 1);
    JobWatcher? _jobs;

    SystemdManager(DBusConnection connection, SystemdBus bus, TimeSpan callTimeout)
    {
        _connection = connection;
        Bus = bus;
        CallTimeout = callTimeout;
    }

    public SystemdBus Bus { get; }

    /// <summary>How long one method call (or one job) may take; D-Bus's own default is 25 s.</summary>
    public TimeSpan CallTimeout { get; }

    public static Task<SystemdManager> ConnectSystemAsync(CancellationToken cancellationToken = default) =>
        ConnectAsync(SystemdBus.System(), cancellationToken);

    public static Task<SystemdManager> ConnectUserAsync(CancellationToken cancellationToken = default) =>
        ConnectAsync(SystemdBus.User(), cancellationToken);

    /// <summary>Connects to <paramref name="bus"/>'s address; throws <see cref="SystemdUnavailableException"/> when nothing answers there.</summary>
    public static async Task<SystemdManager> ConnectAsync(SystemdBus bus, CancellationToken cancellationToken = default, TimeSpan? callTimeout = null)
    {
        TimeSpan timeout = callTimeout ?? TimeSpan.FromSeconds(25);
        var connection = new DBusConnection(bus.Address);
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return new SystemdManager(connection, bus, timeout);
        }
        catch (Exception e) when (e is DBusExceptionBase or DBusConnectionException or SocketException or IOException or TimeoutException)
        {
            connection.Dispose();
            throw new SystemdUnavailableException(
                $"cannot reach the {Describe(bus.Manager)} bus at {bus.Address}: {e.Message}; is systemd (and dbus) running there?", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The Manager's Version property, e.g. "252.38-1~deb12u1".</summary>
    public async Task<string> GetVersionAsync(CancellationToken cancellationToken = default)
    {
        VariantValue version = await GetPropertyAsync(ManagerPath, ManagerInterface, "Version", "the manager", cancellationToken).ConfigureAwait(false);
        return version.GetString();
    }

    /// <summary>
    /// Creates and starts a transient unit and waits for its start job: returns once the job finished
    /// <c>done</c>, throws <see cref="SystemdJobFailedException"/> for any other result,
    /// <see cref="UnitExistsException"/> when the name is taken.
    /// </summary>
    public async Task<string> StartTransientUnitAsync(string unit, IReadOnlyList<UnitProperty> properties, CancellationToken cancellationToken = default)
    {
        UnitName.Validate(unit);
        JobWatcher jobs = await GetJobWatcherAsync(cancellationToken).ConfigureAwait(false);
        using (jobs.BeginCall())
        {
            string job = await CallAsync("StartTransientUnit", unit, cancellationToken, ReadObjectPath, CreateMessage).ConfigureAwait(false);
            await WaitForJobAsync(jobs, job, unit, cancellationToken).ConfigureAwait(false);
            return job;
        }

        MessageBuffer CreateMessage()
        {
            MessageWriter writer = _connection.GetMessageWriter();
            try
            {
                writer.WriteMethodCallHeader(Service, ManagerPath, ManagerInterface, "StartTransientUnit", "ssa(sv)a(sa(sv))");
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
                // No auxiliary units.
                writer.WriteArrayEnd(writer.WriteArrayStart(DBusType.Struct));
                return writer.CreateMessage();
            }
            finally
            {
                writer.Dispose();
            }
        }
    }

    /// <summary>Stops <paramref name="unit"/> (mode "replace") and waits for the stop job.</summary>
    public async Task StopUnitAsync(string unit, CancellationToken cancellationToken = default)
    {
        UnitName.Validate(unit);
        JobWatcher jobs = await GetJobWatcherAsync(cancellationToken).ConfigureAwait(false);
        using (jobs.BeginCall())
        {
            string job = await CallAsync("StopUnit", unit, cancellationToken, ReadObjectPath,
                () => ManagerCall("StopUnit", "ss", unit, "replace")).ConfigureAwait(false);
            await WaitForJobAsync(jobs, job, unit, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Restarts <paramref name="unit"/> (mode "replace") and waits for the restart job.</summary>
    public async Task RestartUnitAsync(string unit, CancellationToken cancellationToken = default)
    {
        UnitName.Validate(unit);
        JobWatcher jobs = await GetJobWatcherAsync(cancellationToken).ConfigureAwait(false);
        using (jobs.BeginCall())
        {
            string job = await CallAsync("RestartUnit", unit, cancellationToken, ReadObjectPath,
                () => ManagerCall("RestartUnit", "ss", unit, "replace")).ConfigureAwait(false);
            await WaitForJobAsync(jobs, job, unit, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the unit's processes; <paramref name="whom"/> is "all", "main" or "control".</summary>
    public Task KillUnitAsync(string unit, int signal, string whom = "all", CancellationToken cancellationToken = default)
    {
        UnitName.Validate(unit);
        return CallAsync("KillUnit", unit, cancellationToken, ReadNothing, () =>
        {
            using MessageWriter writer = _connection.GetMessageWriter();
            writer.WriteMethodCallHeader(Service, ManagerPath, ManagerInterface, "KillUnit", "ssi");
            writer.WriteString(unit);
            writer.WriteString(whom);
            writer.WriteInt32(signal);
            return writer.CreateMessage();
        });
    }

    /// <summary>Clears a failed unit so its name can be used again.</summary>
    public Task ResetFailedUnitAsync(string unit, CancellationToken cancellationToken = default)
    {
        UnitName.Validate(unit);
        return CallAsync("ResetFailedUnit", unit, cancellationToken, ReadNothing, () => ManagerCall("ResetFailedUnit", "s", unit));
    }

    /// <summary><c>systemctl daemon-reload</c>: systemd answers once the reload is complete.</summary>
    public Task ReloadAsync(CancellationToken cancellationToken = default) =>
        CallAsync("Reload", "the manager", cancellationToken, ReadNothing, () => ManagerCall("Reload", ""));

    /// <summary>The object path of a loaded unit; null when it is not loaded.</summary>
    public async Task<string?> TryGetUnitAsync(string unit, CancellationToken cancellationToken = default)
    {
        UnitName.Validate(unit);
        try
        {
            return await CallAsync("GetUnit", unit, cancellationToken, ReadObjectPath, () => ManagerCall("GetUnit", "s", unit)).ConfigureAwait(false);
        }
        catch (SystemdRequestRejectedException e) when (e.ErrorName == SystemdErrors.NoSuchUnit)
        {
            return null;
        }
    }

    /// <summary>Loads <paramref name="unit"/> from disk if needed and returns its object path (even for a unit that does not exist: its LoadState says so).</summary>
    public Task<string> LoadUnitAsync(string unit, CancellationToken cancellationToken = default)
    {
        UnitName.Validate(unit);
        return CallAsync("LoadUnit", unit, cancellationToken, ReadObjectPath, () => ManagerCall("LoadUnit", "s", unit));
    }

    /// <summary>The object path of the unit <paramref name="pid"/> (as seen in systemd's PID namespace) is in; null when none.</summary>
    public async Task<string?> TryGetUnitByPidAsync(uint pid, CancellationToken cancellationToken = default)
    {
        string target = $"pid {pid}";
        try
        {
            return await CallAsync("GetUnitByPID", target, cancellationToken, ReadObjectPath, () =>
            {
                using MessageWriter writer = _connection.GetMessageWriter();
                writer.WriteMethodCallHeader(Service, ManagerPath, ManagerInterface, "GetUnitByPID", "u");
                writer.WriteUInt32(pid);
                return writer.CreateMessage();
            }).ConfigureAwait(false);
        }
        catch (SystemdRequestRejectedException e) when (e.ErrorName is SystemdErrors.NoUnitForPid or SystemdErrors.NoSuchUnit)
        {
            return null;
        }
    }

    /// <summary>The status of a loaded unit; null when it is not loaded.</summary>
    public async Task<UnitStatus?> TryGetUnitStatusAsync(string unit, CancellationToken cancellationToken = default)
    {
        string? path = await TryGetUnitAsync(unit, cancellationToken).ConfigureAwait(false);
        return path is null ? null : await GetUnitStatusAtAsync(path, unit, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The status of the unit at <paramref name="unitPath"/> (from GetUnit, LoadUnit or GetUnitByPID).</summary>
    public async Task<UnitStatus> GetUnitStatusAtAsync(string unitPath, string unit, CancellationToken cancellationToken = default)
    {
        var common = await GetAllPropertiesAsync(unitPath, UnitInterface, unit, cancellationToken).ConfigureAwait(false);
        string id = common.TryGetValue("Id", out var value) ? value.GetString() : unit;
        // Service, Scope, Socket, … each have their own interface with ControlGroup, KillMode and the rest.
        string? type = UnitName.TypeOf(id);
        var typed = type is null
            ? []
            : await GetAllPropertiesAsync(unitPath, "org.freedesktop.systemd1." + char.ToUpperInvariant(type[0]) + type[1..], unit, cancellationToken).ConfigureAwait(false);
        return UnitStatus.From(common, typed);
    }

    /// <summary>One property through org.freedesktop.DBus.Properties.Get.</summary>
    public Task<VariantValue> GetPropertyAsync(string objectPath, string @interface, string property, string unit, CancellationToken cancellationToken = default) =>
        CallAsync("Get", unit, cancellationToken, static (message, _) => message.GetBodyReader().ReadVariantValue(), () =>
        {
            using MessageWriter writer = _connection.GetMessageWriter();
            writer.WriteMethodCallHeader(Service, objectPath, PropertiesInterface, "Get", "ss");
            writer.WriteString(@interface);
            writer.WriteString(property);
            return writer.CreateMessage();
        });

    /// <summary>All properties of one interface through org.freedesktop.DBus.Properties.GetAll.</summary>
    public Task<Dictionary<string, VariantValue>> GetAllPropertiesAsync(string objectPath, string @interface, string unit, CancellationToken cancellationToken = default) =>
        CallAsync("GetAll", unit, cancellationToken, static (message, _) => message.GetBodyReader().ReadDictionaryOfStringToVariantValue(), () =>
        {
            using MessageWriter writer = _connection.GetMessageWriter();
            writer.WriteMethodCallHeader(Service, objectPath, PropertiesInterface, "GetAll", "s");
            writer.WriteString(@interface);
            return writer.CreateMessage();
        });

    public void Dispose()
    {
        _jobs?.Dispose();
        _connection.Dispose();
        _watcherGate.Dispose();
    }

    /// <summary>Adds the JobRemoved match and calls Subscribe (systemd only emits job signals to subscribers), once.</summary>
    async Task<JobWatcher> GetJobWatcherAsync(CancellationToken cancellationToken)
    {
        await _watcherGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_jobs is null)
            {
                var watcher = await JobWatcher.StartAsync(_connection).WaitAsync(CallTimeout, cancellationToken).ConfigureAwait(false);
                await CallAsync("Subscribe", "the manager", cancellationToken, ReadNothing, () => ManagerCall("Subscribe", "")).ConfigureAwait(false);
                _jobs = watcher;
            }
            return _jobs;
        }
        finally
        {
            _watcherGate.Release();
        }
    }

    async Task WaitForJobAsync(JobWatcher jobs, string job, string unit, CancellationToken cancellationToken)
    {
        string result;
        try
        {
            result = await jobs.WaitAsync(job).WaitAsync(CallTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new SystemdUnavailableException($"systemd's job {job} for {unit} did not finish within {CallTimeout.TotalSeconds:0} s; see systemctl list-jobs", e);
        }
        if (result != "done")
            throw new SystemdJobFailedException(unit, result, Bus.Manager);
    }

    async Task<T> CallAsync<T>(string method, string unit, CancellationToken cancellationToken, MessageValueReader<T> reader, Func<MessageBuffer> createMessage)
    {
        try
        {
            return await _connection.CallMethodAsync(createMessage(), reader).WaitAsync(CallTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (DBusErrorReplyException e)
        {
            throw SystemdErrors.Map(e, method, unit, Bus.Manager);
        }
        catch (Exception e) when (e is DBusConnectionException or DBusConnectionClosedException or SocketException or IOException)
        {
            throw new SystemdUnavailableException($"lost the {Describe(Bus.Manager)} bus at {Bus.Address} during {method} for {unit}: {e.Message}", e);
        }
        catch (TimeoutException e)
        {
            throw new SystemdUnavailableException($"systemd did not answer {method} for {unit} within {CallTimeout.TotalSeconds:0} s", e);
        }
    }

    MessageBuffer ManagerCall(string method, string signature, params string[] arguments)
    {
        using MessageWriter writer = _connection.GetMessageWriter();
        writer.WriteMethodCallHeader(Service, ManagerPath, ManagerInterface, method, signature.Length == 0 ? null : signature);
        foreach (string argument in arguments)
            writer.WriteString(argument);
        return writer.CreateMessage();
    }

    static string ReadObjectPath(Message message, object? _) => message.GetBodyReader().ReadObjectPathAsString();

    static bool ReadNothing(Message message, object? _) => true;

    static string Describe(ManagerKind manager) => manager == ManagerKind.System ? "system" : "user";
}
