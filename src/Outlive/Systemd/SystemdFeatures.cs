using System.Globalization;

namespace Outlive.Systemd;

/// <summary>
/// What a manager of a given version understands, so transient units use only properties it knows (docs/compatibility.md).
/// The floor is systemd 239 (RHEL 8).
/// </summary>
/// <param name="Version">The manager's major version; null when unknown (then the newest behaviour is assumed).</param>
internal sealed record SystemdFeatures(int? Version)
{
    /// <summary>First version with Type=exec (a failed exec fails the start job).</summary>
    public const int ExecTypeSince = 240;

    /// <summary>
    /// Makes Outlive choose properties as for this version whatever the manager says: a test knob for the old-systemd
    /// paths on a new systemd (OUTLIVE_SYSTEMD_VERSION=239).
    /// </summary>
    public const string OverrideVariable = "OUTLIVE_SYSTEMD_VERSION";

    /// <summary>Whether a transient service may be Type=exec; else Type=simple, and Outlive waits for the exec itself.</summary>
    public bool HasExecType => Version is null or >= ExecTypeSince;

    /// <summary>What this version lacks that Outlive would use, and what it does instead, one line each (for doctor).</summary>
    public IReadOnlyList<string> Missing => HasExecType
        ? []
        : [$"Type=exec (systemd {ExecTypeSince}): service children start as Type=simple, and Outlive waits until the program has been exec'd"];

    /// <summary>The features of a manager whose Version property reads <paramref name="version"/>, unless overridden.</summary>
    public static SystemdFeatures Of(string? version)
    {
        int? forced = MajorVersion(Environment.GetEnvironmentVariable(OverrideVariable));
        return new SystemdFeatures(forced ?? MajorVersion(version));
    }

    /// <summary>The number a manager's Version starts with ("252 (252.36-1~deb12u1)" and "252.38-1~deb12u1" are 252); null when none.</summary>
    public static int? MajorVersion(string? version)
    {
        if (string.IsNullOrEmpty(version))
            return null;
        int digits = 0;
        while (digits < version.Length && char.IsAsciiDigit(version[digits]))
            digits++;
        return int.TryParse(version.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out int major) ? major : null;
    }
}
