namespace Outlive.Procfs;

/// <summary>The kernel's random boot id: with pid and start time it names one process across PID reuse and reboots.</summary>
internal static class BootId
{
    private static readonly Lazy<string> s_current = new(() => File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim());

    public static string Current => s_current.Value;
}
