using System.Text.Json.Serialization;

namespace Outlive;

/// <summary>Which systemd manager owns a unit: PID 1, or a user's own manager (<c>systemctl --user</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ManagerKind>))]
public enum ManagerKind
{
    [JsonStringEnumMemberName("system")]
    System,

    [JsonStringEnumMemberName("user")]
    User,
}
