using Outlive.Systemd;
using Outlive.Systemd.DBus;
using Outlive.Systemd.UnitFiles;

namespace Outlive.Diagnosis;

/// <summary>
/// What <c>outlive fix-unit</c> does: the KillMode drop-in for one unit (never the vendor unit file),
/// planned first so a dry run and the real run show the same diff.
/// </summary>
/// <param name="Unit">A validated unit name.</param>
/// <param name="Path">The drop-in's path under the chosen root.</param>
/// <param name="Text">The drop-in's text after the change; null when reverting.</param>
/// <param name="Diff">The current file against <see cref="Text"/> (or against nothing, when reverting).</param>
internal sealed record UnitFix(string Unit, ManagerKind Manager, string Path, string? Text, string Diff)
{
    /// <summary>What the C11 security boundary means for the unit, with the commands to watch it.</summary>
    public string SecurityNote(KillMode killMode) => killMode switch
    {
        KillMode.Process or KillMode.None =>
            $"note: KillMode={killMode.ToSystemdString()} takes {Unit}'s other processes out of systemd's stop/restart cleanup: " +
            "they stay in its cgroup (and its resource limits) but are no longer killed, and every restart logs \"Found left-over process\". " +
            $"Watch them with 'outlive status' and 'systemctl {(Manager == ManagerKind.User ? "--user " : "")}show -p MainPID {Unit}'; " +
            $"a child in its own scope (outlive run --escape scope) needs none of this.",
        _ => $"note: KillMode={killMode.ToSystemdString()} kills every process left in {Unit}'s cgroup on stop, so setsid children die with it.",
    };

    /// <summary>Plans setting <paramref name="killMode"/>; validates the name first (exit 2, nothing touched).</summary>
    public static UnitFix PlanSet(string unit, KillMode killMode, ManagerKind manager, string root = "/")
    {
        UnitName.Validate(unit);
        if (!UnitName.HasKillMode(unit))
            throw UnitName.Invalid(unit, "only .service, .scope, .socket, .mount and .swap units have KillMode=");
        string path = KillModeDropIn.PathFor(unit, manager, root);
        string text = KillModeDropIn.Render(unit, killMode);
        return new UnitFix(unit, manager, path, text, KillModeDropIn.Preview(path, text));
    }

    /// <summary>Plans removing the drop-in.</summary>
    public static UnitFix PlanRevert(string unit, ManagerKind manager, string root = "/")
    {
        UnitName.Validate(unit);
        string path = KillModeDropIn.PathFor(unit, manager, root);
        string diff = File.Exists(path) ? TextDiff.Unified(File.ReadAllText(path), "", path, "/dev/null") : "";
        return new UnitFix(unit, manager, path, null, diff);
    }

    /// <summary>
    /// Refuses a unit systemd does not know (LoadState not-found: a typo, or a unit that was removed), before anything
    /// is written. Only where the unit's manager can be asked; <paramref name="mustAsk"/> makes an unreachable one an error.
    /// </summary>
    public async Task EnsureUnitExistsAsync(bool mustAsk, CancellationToken cancellationToken)
    {
        UnitStatus status;
        try
        {
            DBusClient systemd = DBusClient.For(Manager);
            status = await systemd.GetUnitStatusAtAsync(await systemd.LoadUnitAsync(Unit, cancellationToken).ConfigureAwait(false), Unit, cancellationToken).ConfigureAwait(false);
        }
        catch (SystemdUnavailableException) when (!mustAsk)
        {
            return;
        }
        if (status.LoadState == "not-found")
            throw new NoSuchUnitException(
                $"{Unit} does not exist (systemd says not-found): check the name with '{(Manager == ManagerKind.User ? "systemctl --user" : "systemctl")} list-unit-files {Unit}'; nothing written");
    }

    /// <summary>True when applying changes nothing (the same drop-in is there, or there is none to revert).</summary>
    public bool IsNoChange => Text is null ? !File.Exists(Path) : File.Exists(Path) && File.ReadAllText(Path) == Text;

    /// <summary>
    /// Writes (atomically) or removes the drop-in, then daemon-reloads the unit's manager when
    /// <paramref name="reload"/>; when the reload fails the previous file is put back, so systemd and the disk
    /// never disagree. A restart (only with <paramref name="restart"/>) comes after a good reload.
    /// Returns the KillMode systemd reports after the reload (another drop-in may override ours), null without reload.
    /// </summary>
    public async Task<KillMode?> ApplyAsync(bool reload, bool restart, CancellationToken cancellationToken = default)
    {
        string? previous = File.Exists(Path) ? File.ReadAllText(Path) : null;
        Write(Text);
        if (!reload)
            return null;
        DBusClient systemd = await ConnectOrRestoreAsync(previous, cancellationToken).ConfigureAwait(false);
        try
        {
            await systemd.ReloadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OutliveException)
        {
            Write(previous);
            throw;
        }
        if (restart)
            await systemd.RestartUnitAsync(Unit, cancellationToken).ConfigureAwait(false);
        string path = await systemd.LoadUnitAsync(Unit, cancellationToken).ConfigureAwait(false);
        return (await systemd.GetUnitStatusAtAsync(path, Unit, cancellationToken).ConfigureAwait(false)).KillMode;
    }

    async Task<DBusClient> ConnectOrRestoreAsync(string? previous, CancellationToken cancellationToken)
    {
        try
        {
            DBusClient systemd = DBusClient.For(Manager);
            await systemd.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return systemd;
        }
        catch (OutliveException)
        {
            Write(previous);
            throw;
        }
    }

    void Write(string? text)
    {
        if (text is null)
            KillModeDropIn.Revert(Path);
        else
            KillModeDropIn.Write(Path, text);
    }
}

/// <summary>systemd knows no unit by that name.</summary>
internal sealed class NoSuchUnitException(string message) : OutliveException(message);
