using System.Text.RegularExpressions;
using Outlive.Spawn;
using Outlive.Systemd;
using Outlive.Systemd.DBus;

namespace Outlive.Escape;

/// <summary>Puts a child in a transient unit of its own: a scope around a held child, or a service systemd starts.</summary>
internal static partial class TransientUnitStart
{
    /// <summary>
    /// The held child is moved into a new scope and released only once the start job is done, so its
    /// program never runs inside the caller's unit. Like systemd-run --scope, with the child in place of itself.
    /// </summary>
    internal static async Task<(SpawnedChild Child, string Unit)> ScopeAsync(
        DBusClient systemd, HeldProcess held, DetachedStartInfo info, EscapeOptions options, CancellationToken cancellationToken)
    {
        string unit = UnitName.CreateTransient(options.Name ?? Path.GetFileName(info.Program), "scope");
        List<UnitProperty> properties =
        [
            UnitProperty.Description(Describe(info)),
            UnitProperty.CollectMode(CollectMode.InactiveOrFailed),
            UnitProperty.Pids((uint)held.Pid),
        ];
        if (options.Slice is { } slice)
            properties.Add(UnitProperty.Slice(slice));
        await systemd.StartTransientUnitAsync(unit, properties, cancellationToken).ConfigureAwait(false);
        return (held.Release(), unit);
    }

    /// <summary>
    /// systemd starts the program itself (Type=exec: the job is done once exec succeeded) and supervises it;
    /// output goes to the journal unless a file was named. Returns the main PID, 0 if it already exited.
    /// </summary>
    internal static async Task<(int Pid, string Unit)> ServiceAsync(
        DBusClient systemd, DetachedStartInfo info, EscapeOptions options, CancellationToken cancellationToken)
    {
        DetachedSpawn.Prepared prepared = DetachedSpawn.Prepare(info);
        string unit = UnitName.CreateTransient(options.Name ?? Path.GetFileName(info.Program), "service");
        List<UnitProperty> properties =
        [
            UnitProperty.Description(Describe(info)),
            UnitProperty.CollectMode(CollectMode.InactiveOrFailed),
            UnitProperty.ServiceType("exec"),
            UnitProperty.ExecStart(prepared.Request.ExecutablePath, prepared.Request.Argv),
            UnitProperty.WorkingDirectory(prepared.Request.WorkingDirectory ?? Environment.CurrentDirectory),
            UnitProperty.Environment(prepared.Request.Environment.Where(e => IsValidName(e.Key)).Select(e => $"{e.Key}={e.Value}")),
            Output(info.StandardOutput, UnitProperty.StandardOutputAppendTo, UnitProperty.StandardOutputToJournal),
            Output(info.StandardError, UnitProperty.StandardErrorAppendTo, UnitProperty.StandardErrorToJournal),
        ];
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
        await systemd.StartTransientUnitAsync(unit, properties, cancellationToken).ConfigureAwait(false);
        UnitStatus? status = await systemd.TryGetUnitStatusAsync(unit, cancellationToken).ConfigureAwait(false);
        return ((int)(status?.MainPid ?? 0), unit);
    }

    /// <summary>Journal by default: systemd captures a service's output, /dev/null would throw it away.</summary>
    private static UnitProperty Output(OutputTarget target, Func<string, UnitProperty> toFile, Func<UnitProperty> toJournal) =>
        target.Kind == OutputKind.File ? toFile(target.Path!) : toJournal();

    private static string Describe(DetachedStartInfo info) =>
        "outlive: " + string.Join(' ', [info.Program, .. info.Arguments]);

    /// <summary>systemd refuses the whole unit over one invalid name (a shell's exported function, say).</summary>
    private static bool IsValidName(string name) => EnvironmentName().IsMatch(name);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvironmentName();
}
