using System.Text;
using System.Text.RegularExpressions;
using Outlive.Interop;
using Outlive.Spawn;
using Outlive.Systemd;
using Outlive.Systemd.DBus;

namespace Outlive.Escape;

/// <summary>Puts a child in a transient unit of its own: a scope around a held child, or a service systemd starts.</summary>
internal static partial class TransientUnitStart
{
    /// <summary>A fresh transient unit name of <paramref name="type"/> for this start: <c>outlive-NAME-RANDOM.TYPE</c>.</summary>
    internal static string UnitNameFor(DetachedStartInfo info, EscapeOptions options, string type) =>
        options.UnitName is { } exact
            ? ExactUnitName(exact, type == "scope" ? EscapeStrategy.Scope : EscapeStrategy.Service)
            : UnitName.CreateTransient(options.Name ?? Path.GetFileName(info.Program), type);

    /// <summary>An exact unit name (--unit): the strategy's suffix is added when it has none, and a mismatched one is refused.</summary>
    internal static string ExactUnitName(string name, EscapeStrategy strategy)
    {
        string type = strategy == EscapeStrategy.Service ? "service" : "scope";
        string full = UnitName.TypeOf(name) is null ? $"{name}.{type}" : name;
        if (UnitName.TypeOf(full) != type)
            throw new ArgumentException($"unit name '{name}' is not a {type}, and this child gets a transient {type}: name it NAME.{type} or leave the suffix out");
        UnitName.Validate(full);
        return full;
    }

    /// <summary>
    /// The properties a start adds to its unit: -p assignments, a description, and with --inherit-limits the caller unit's
    /// resource limits (those it has set: systemd reports an unset one as the maximum).
    /// </summary>
    internal static async Task<IReadOnlyList<UnitProperty>> ExtraPropertiesAsync(EscapeOptions options, EscapePlan plan, CancellationToken cancellationToken)
    {
        var extra = new List<UnitProperty>();
        if (options.InheritLimits && plan.Home is { Unit: { } unit, Placement: { } placement })
        {
            DBusClient caller = DBusClient.For(Residence.BusOf(placement, plan.Home.Uid));
            extra.AddRange(await caller.GetResourceLimitsAsync(unit, cancellationToken).ConfigureAwait(false));
        }
        // Named ones after inherited ones: systemd takes the last value given for a property.
        extra.AddRange(options.Properties.Select(PropertyAssignment.From));
        if (options.Description is { } description)
            extra.Add(UnitProperty.Description(description));
        return extra;
    }

    /// <summary>
    /// Moves <paramref name="pids"/> (a held child, or the processes <c>outlive adopt</c> rescues) into a new scope
    /// <paramref name="unit"/>; returns once the start job is done. A held child is released only then, so its program
    /// never runs inside the caller's unit. Like systemd-run --scope, with the child in place of itself.
    /// </summary>
    internal static async Task ScopeAsync(
        DBusClient systemd, string unit, IReadOnlyList<int> pids, string description, EscapeOptions options, IReadOnlyList<UnitProperty> extra,
        CancellationToken cancellationToken)
    {
        List<UnitProperty> properties =
        [
            UnitProperty.Description(description),
            UnitProperty.CollectMode(CollectMode.InactiveOrFailed),
            UnitProperty.Pids([.. pids.Select(pid => (uint)pid)]),
        ];
        if (options.Slice is { } slice)
            properties.Add(UnitProperty.Slice(slice));
        properties.AddRange(extra);
        await systemd.StartTransientUnitAsync(unit, properties, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The Description= of a started child's unit: "outlive: " and its command line.</summary>
    internal static string Describe(DetachedStartInfo info) => Describe(info.CommandText);

    internal static string Describe(IEnumerable<string> command) => "outlive: " + string.Join(' ', command);

    /// <summary>
    /// systemd starts the program itself (Type=exec: the job is done once exec succeeded) and supervises it;
    /// output goes to the journal unless a file was named. Returns the unit's status right after (MainPID 0: the
    /// program already exited). A failed unit stays loaded (CollectMode=inactive) so its exit status can be read.
    /// </summary>
    internal static async Task<UnitStatus?> ServiceAsync(
        DBusClient systemd, string unit, DetachedStartInfo info, EscapeOptions options, IReadOnlyList<UnitProperty> extra,
        CancellationToken cancellationToken)
    {
        DetachedSpawn.Prepared prepared = DetachedSpawn.Prepare(info);
        SystemdFeatures features = await systemd.GetFeaturesAsync(cancellationToken).ConfigureAwait(false);
        List<UnitProperty> properties =
        [
            UnitProperty.Description(Describe(info)),
            UnitProperty.CollectMode(CollectMode.Inactive),
            UnitProperty.ServiceType(ServiceTypeFor(features)),
            UnitProperty.ExecStart(prepared.Request.ExecutablePath, [.. prepared.Request.Argv.Select(ArgumentText)]),
            UnitProperty.WorkingDirectory(prepared.Request.WorkingDirectory ?? Environment.CurrentDirectory),
            UnitProperty.Environment(prepared.Request.Environment.Entries.Select(CarriedAssignment).OfType<string>()),
        ];
        // Output files are opened here, with the child's credentials (never systemd's: root would open a path the child's
        // user controls), created 0640 less the umask, and handed to systemd as fds.
        var opened = new List<int>(2);
        try
        {
            properties.Add(Output(prepared, info.StandardOutput, "standard output", opened, UnitProperty.StandardOutputFileDescriptor, UnitProperty.StandardOutputToJournal));
            properties.Add(info.StandardError.Kind == OutputKind.File && info.StandardError == info.StandardOutput
                ? UnitProperty.StandardErrorFileDescriptor(opened[0])
                : Output(prepared, info.StandardError, "standard error", opened, UnitProperty.StandardErrorFileDescriptor, UnitProperty.StandardErrorToJournal));
            if ((info.StandardOutput.Kind == OutputKind.Journal ? info.StandardOutput : info.StandardError).Identifier is { } identifier)
                properties.Add(UnitProperty.SyslogIdentifier(identifier));
            properties.AddRange(extra);
            UnitStatus? status = await StartAsync(systemd, unit, properties, info, options, cancellationToken).ConfigureAwait(false);
            if (!features.HasExecType)
                status = await UntilExecutedAsync(systemd, unit, status, cancellationToken).ConfigureAwait(false);
            return await UnlessJustExitedAsync(systemd, unit, status, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (int fd in opened)
                Libc.close(fd);
        }
    }

    /// <summary>Type=exec where the manager has it (systemd 240); else Type=simple, whose start job is done at fork.</summary>
    internal static string ServiceTypeFor(SystemdFeatures features) => features.HasExecType ? "exec" : "simple";

    /// <summary>
    /// What Type=exec gives, for a Type=simple service: the status once its main process has exec'd the program (systemd
    /// names its forked child "(program)" until the exec), or once the unit stopped running (the exec failed: 203/EXEC).
    /// </summary>
    private static async Task<UnitStatus?> UntilExecutedAsync(DBusClient systemd, string unit, UnitStatus? status, CancellationToken cancellationToken)
    {
        DateTime deadline = DateTime.UtcNow + systemd.CallTimeout;
        while (status is { IsRunning: true, MainPid: > 0 and var pid } && DateTime.UtcNow < deadline)
        {
            // Asked once more after the exec, as Type=exec's caller asks after its job: a program that exits at once shows.
            if (Procfs.ProcStat.TryRead((int)pid) is { } stat && !stat.Command.StartsWith('('))
                return await systemd.TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false);
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
            status = await systemd.TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false);
        }
        return status;
    }

    /// <summary>
    /// A main process that has exited but is not yet reaped by systemd (a zombie) still shows as running: ask again until
    /// systemd has its exit status, so a program that exits at once is reported as such.
    /// </summary>
    private static async Task<UnitStatus?> UnlessJustExitedAsync(DBusClient systemd, string unit, UnitStatus? status, CancellationToken cancellationToken)
    {
        DateTime deadline = DateTime.UtcNow + systemd.CallTimeout;
        while (status is { IsRunning: true, MainPid: > 0 and var pid } && Procfs.ProcStat.TryRead((int)pid) is { IsZombie: true } && DateTime.UtcNow < deadline)
        {
            await Task.Delay(2, cancellationToken).ConfigureAwait(false);
            status = await systemd.TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false);
        }
        return status;
    }

    private static async Task<UnitStatus?> StartAsync(
        DBusClient systemd, string unit, List<UnitProperty> properties, DetachedStartInfo info, EscapeOptions options, CancellationToken cancellationToken)
    {
        if (info.User is { } user)
            properties.Add(UnitProperty.User(user));
        if (info.Group is { } group)
            properties.Add(UnitProperty.Group(group));
        if (info.Umask is { } umask)
            properties.Add(UnitProperty.UMask((uint)umask));
        if (options.Restart is { } restart)
            properties.Add(UnitProperty.Restart(restart));
        if (options.Slice is { } slice)
            properties.Add(UnitProperty.Slice(slice));
        try
        {
            await systemd.StartTransientUnitAsync(unit, properties, cancellationToken).ConfigureAwait(false);
        }
        catch (SystemdJobFailedException)
        {
            // A program that fails at once can fail the start job itself: then it is a program that exited, with a status.
            if (await systemd.TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false) is { ActiveState: "failed", MainExit: not null } failed)
                return failed;
            throw;
        }
        return await systemd.TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Journal by default: systemd captures a service's output, /dev/null would throw it away.</summary>
    private static UnitProperty Output(
        DetachedSpawn.Prepared prepared, OutputTarget target, string stream, List<int> opened, Func<int, UnitProperty> toFd, Func<UnitProperty> toJournal)
    {
        if (target.Kind != OutputKind.File)
            return toJournal();
        int fd = DetachedSpawn.WithChildCredentials(prepared, () => NativeSpawn.OpenOutput(target, stream));
        opened.Add(fd);
        return toFd(fd);
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>systemd's D-Bus API carries strings: a service's command line must be UTF-8.</summary>
    private static string ArgumentText(byte[] argument)
    {
        try
        {
            return StrictUtf8.GetString(argument);
        }
        catch (DecoderFallbackException)
        {
            throw new ChildStartException(
                "an argument is not UTF-8, and a service's command line travels to systemd as text: use --escape scope, which passes it as bytes", Libc.EINVAL);
        }
    }

    /// <summary>
    /// An environment entry systemd can carry, else null: it refuses the whole unit over one name it does not accept
    /// (a shell's exported function, say) or a value that is not UTF-8, so those are left out (README "service").
    /// </summary>
    private static string? CarriedAssignment(byte[] entry)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(entry);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
        int equals = text.IndexOf('=');
        return equals > 0 && EnvironmentName().IsMatch(text[..equals]) ? text : null;
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvironmentName();
}
