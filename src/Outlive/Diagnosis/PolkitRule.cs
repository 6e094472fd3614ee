namespace Outlive.Diagnosis;

/// <summary>
/// A polkit rule that lets one user create Outlive's transient units on the system manager without a password. systemd
/// tells polkit the unit's name for StartTransientUnit only from version 257 on (systemd PR 34651); before that, a rule
/// cannot tell an Outlive unit from any other, and allowing the action allows managing every unit.
/// </summary>
internal sealed record PolkitRule(string Text, string Caveat)
{
    /// <summary>First systemd version that passes the transient unit's name to polkit.</summary>
    public const int UnitNameVisibleSince = 257;

    public static PolkitRule For(string user, int? systemdVersion)
    {
        string file = $"/etc/polkit-1/rules.d/50-outlive-{user}.rules";
        if (systemdVersion >= UnitNameVisibleSince)
        {
            return new PolkitRule(
                $$"""
                // {{file}}: {{user}} may start, stop and inspect outlive-* units on the system manager.
                polkit.addRule(function(action, subject) {
                    var unit = action.lookup("unit") || "";
                    if (action.id == "org.freedesktop.systemd1.manage-units" && subject.user == "{{user}}" && unit.indexOf("outlive-") == 0)
                        return polkit.Result.YES;
                });
                """,
                $"limited to outlive-* units: systemd {systemdVersion} tells polkit the unit's name");
        }
        return new PolkitRule(
            $$"""
            // {{file}}: {{user}} may manage units on the system manager.
            polkit.addRule(function(action, subject) {
                if (action.id == "org.freedesktop.systemd1.manage-units" && subject.user == "{{user}}")
                    return polkit.Result.YES;
            });
            """,
            $"not limited to outlive-* units: systemd {(systemdVersion is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : "of unknown version")} " +
            $"does not tell polkit a transient unit's name (systemd {UnitNameVisibleSince} does), so this lets {user} start and stop any unit; linger is the narrower fix");
    }
}
