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
