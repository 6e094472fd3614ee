using System.Globalization;

namespace Outlive.Procfs;

/// <summary>A process's argv from <c>/proc/PID/cmdline</c> (NUL-separated).</summary>
internal static class ProcCommandLine
{
    /// <summary>The arguments, argv[0] first; null when the process is gone, not readable, or a kernel thread (empty).</summary>
    public static IReadOnlyList<string>? TryRead(int pid)
    {
        try
        {
            string text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline");
            return text.Length == 0 ? null : text.TrimEnd('\0').Split('\0');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
