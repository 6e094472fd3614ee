
namespace Outlive.Systemd.UnitFiles;

/// <summary>
/// The drop-in <c>outlive fix-unit</c> writes: <c>UNIT.d/50-outlive.conf</c> setting <c>KillMode=</c>, so a
/// unit's setsid children survive <c>systemctl stop</c> (seed claims C4/C7). Paths are computed under an
/// injectable root so tests never touch the machine's <c>/etc</c>.
/// </summary>
internal static class KillModeDropIn
{
    public const string FileName = "50-outlive.conf";

    /// <summary>
    /// <c>ROOT/etc/systemd/system/UNIT.d/50-outlive.conf</c> for the system manager;
    /// <c>$XDG_CONFIG_HOME/systemd/user/UNIT.d/…</c> (default <c>~/.config</c>) for a user manager.
    /// </summary>
    public static string PathFor(string unit, ManagerKind manager, string root = "/", Func<string, string?>? environment = null)
    {
        UnitName.Validate(unit);
        string directory = unit + ".d";
        if (manager == ManagerKind.System)
            return Path.Combine(root, "etc/systemd/system", directory, FileName);
        environment ??= Environment.GetEnvironmentVariable;
        string configHome = environment("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(environment("HOME") ?? throw new SystemdUnavailableException("HOME is not set; cannot find the user manager's configuration directory"), ".config");
        return Path.Combine(root, configHome.TrimStart('/'), "systemd/user", directory, FileName);
    }

    /// <summary>The drop-in's text: a comment saying who wrote it and how to undo it, and the one setting.</summary>
    public static string Render(string unit, KillMode killMode)
    {
        UnitName.Validate(unit);
        // The drop-in is Outlive's and always written whole, so there is nothing to parse or merge.
        return $"# Written by outlive fix-unit {unit}; undo with: outlive fix-unit --revert {unit}\n[{SectionFor(unit)}]\nKillMode={killMode.ToSystemdString()}\n";
    }

    /// <summary>KillMode= lives in the unit type's own section ([Service], [Scope], …).</summary>
    public static string SectionFor(string unit) => UnitName.TypeOf(unit) switch
    {
        "service" => "Service",
        "scope" => "Scope",
        "socket" => "Socket",
        "mount" => "Mount",
        "swap" => "Swap",
        var type => throw new ArgumentException($"a .{type} unit has no KillMode= setting", nameof(unit)),
    };

    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="text"/> atomically: a temporary file in the same
    /// directory, fsync, mode 0644, rename. Readers (systemd on daemon-reload) see the old file or the new one.
    /// </summary>
    public static void Write(string path, string text)
    {
        string directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Convert.ToHexStringLower(Interop.Libc.RandomBytes(4))}.tmp");
        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        try
        {
            using (var stream = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode }))
            {
                stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }
            // The create mode passed through the umask; set it exactly.
            File.SetUnixFileMode(temporary, mode);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Removes the drop-in and its <c>UNIT.d</c> directory when that is left empty. False when there was nothing to remove.</summary>
    public static bool Revert(string path)
    {
        if (!File.Exists(path))
            return false;
        File.Delete(path);
        string directory = Path.GetDirectoryName(path)!;
        if (!Directory.EnumerateFileSystemEntries(directory).Any())
            Directory.Delete(directory);
        return true;
    }

    /// <summary>What <see cref="Write"/> would change: a unified diff of the current file (or nothing) against <paramref name="text"/>.</summary>
    public static string Preview(string path, string text) =>
        TextDiff.Unified(File.Exists(path) ? File.ReadAllText(path) : "", text, File.Exists(path) ? path : "/dev/null", path);
}
