namespace Outlive.Systemd;

/// <summary>Whether systemd runs this machine (or container), the way sd_booted(3) decides.</summary>
internal static class SystemdInit
{
    /// <summary>True when <c>/run/systemd/system</c> is a directory: systemd creates it early at boot, nothing else does.</summary>
    public static bool IsBooted(string root = "/") => Directory.Exists(Path.Combine(root, "run/systemd/system"));
}
