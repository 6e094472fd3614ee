using System.Runtime.InteropServices;

namespace Outlive.Bench;

/// <summary>What the numbers were measured on, read from the machine at run time.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, string Kernel, string Glibc, string DotNet, string Systemd)
{
    public static MachineInfo Read() => new(
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown",
        Environment.ProcessorCount,
        CommandOutput("uname", "-r"),
        CommandOutput("getconf", "GNU_LIBC_VERSION"),
        RuntimeInformation.FrameworkDescription,
        CommandOutput("systemctl", "--version").Split('\n')[0]);

    /// <summary>1-minute load average: how busy the shared machine was.</summary>
    public static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    /// <summary>The 1-minute load average above which a run does not count (issue 15: benchmarks only from a quiet machine).</summary>
    public const double QuietLoad = 0.5;

    /// <summary>The load average once it is quiet, or after <paramref name="longest"/> if it never gets there.</summary>
    public static async Task<string> LoadAfterRestAsync(TimeSpan longest)
    {
        DateTime deadline = DateTime.UtcNow + longest;
        string load = LoadAverage();
        while (!IsQuiet(load) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            load = LoadAverage();
        }
        return load;
    }

    public static bool IsQuiet(string loadAverage) =>
        double.TryParse(loadAverage, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double load) && load <= QuietLoad;

    private static string CommandOutput(string program, string argument)
    {
        try
        {
            return Commands.RunToEnd(program, [argument]).Trim();
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return $"unknown ({program} {argument} failed)";
        }
    }
}
