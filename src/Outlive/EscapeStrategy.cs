using System.Text.Json.Serialization;

namespace Outlive;

/// <summary>How a child gets out of its parent's reach. The JSON names are the CLI's <c>--escape</c> words.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EscapeStrategy>))]
public enum EscapeStrategy
{
    /// <summary>Decide from where the caller runs: setsid where that is enough, else a scope.</summary>
    [JsonStringEnumMemberName("auto")]
    Auto,

    /// <summary>setsid only: enough outside systemd, or when the caller's unit has KillMode=process or none.</summary>
    [JsonStringEnumMemberName("setsid")]
    Setsid,

    /// <summary>The child in its own transient scope unit, before it runs its program (like systemd-run --scope).</summary>
    [JsonStringEnumMemberName("scope")]
    Scope,

    /// <summary>A transient service: systemd starts and supervises the child and logs it to the journal.</summary>
    [JsonStringEnumMemberName("service")]
    Service,
}

/// <summary>The fixed words for the public enums, as the CLI, the registry and systemctl spell them.</summary>
internal static class Words
{
    internal static string Of(EscapeStrategy strategy) => strategy switch
    {
        EscapeStrategy.Auto => "auto",
        EscapeStrategy.Setsid => "setsid",
        EscapeStrategy.Scope => "scope",
        EscapeStrategy.Service => "service",
        _ => throw new ArgumentOutOfRangeException(nameof(strategy)),
    };

    internal static string Of(ManagerKind manager) => manager switch
    {
        ManagerKind.System => "system",
        ManagerKind.User => "user",
        _ => throw new ArgumentOutOfRangeException(nameof(manager)),
    };
}
