using Tmds.DBus.Protocol;

namespace Outlive.Systemd.DBus;

/// <summary>
/// The unit properties Outlive reads, from <c>org.freedesktop.systemd1.Unit</c> and the unit type's own
/// interface (Service, Scope, …). Properties a type does not have are null.
/// </summary>
internal sealed record UnitStatus(
    string Id,
    string LoadState,
    string ActiveState,
    string SubState,
    string? ControlGroup,
    KillMode? KillMode,
    bool? SendSigkill,
    bool? Delegate,
    uint? MainPid,
    string? User,
    int? ExecMainCode,
    int? ExecMainStatus)
{
    internal static UnitStatus From(Dictionary<string, VariantValue> unit, Dictionary<string, VariantValue> typed) => new(
        String(unit, "Id") ?? "",
        String(unit, "LoadState") ?? "",
        String(unit, "ActiveState") ?? "",
        String(unit, "SubState") ?? "",
        NullIfEmpty(String(typed, "ControlGroup")),
        SystemdEnums.ParseKillMode(String(typed, "KillMode")),
        typed.TryGetValue("SendSIGKILL", out var kill) ? kill.GetBool() : null,
        typed.TryGetValue("Delegate", out var del) ? del.GetBool() : null,
        typed.TryGetValue("MainPID", out var main) ? main.GetUInt32() : null,
        NullIfEmpty(String(typed, "User")),
        typed.TryGetValue("ExecMainCode", out var code) ? code.GetInt32() : null,
        typed.TryGetValue("ExecMainStatus", out var status) ? status.GetInt32() : null);

    /// <summary>How the main process ended, as waitid reported it (CLD_EXITED 1: a code; CLD_KILLED 2, CLD_DUMPED 3: a signal).</summary>
    public ExitStatus? MainExit => ExecMainCode switch
    {
        1 => new ExitStatus(ExecMainStatus, null),
        2 or 3 => new ExitStatus(null, ExecMainStatus),
        _ => null,
    };

    /// <summary>active, reloading, activating or deactivating: the unit still has something running or about to.</summary>
    public bool IsRunning => ActiveState is "active" or "reloading" or "activating" or "deactivating";

    static string? String(Dictionary<string, VariantValue> properties, string name) =>
        properties.TryGetValue(name, out var value) ? value.GetString() : null;

    static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
