using System.Globalization;

namespace Outlive.Procfs;

/// <summary>Whose a process is: the real uid on the <c>Uid:</c> line of <c>/proc/PID/status</c>.</summary>
internal static class ProcOwner
{
    /// <summary>The real uid of <paramref name="pid"/>; null when the process is gone or not visible.</summary>
    public static uint? TryReadUid(int pid)
    {
        try
        {
            string line = File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            return uint.Parse(line[4..].Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
