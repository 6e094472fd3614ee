using System.Globalization;
using System.Runtime.InteropServices;
using Outlive.Interop;
using Outlive.Procfs;

namespace Outlive.Tests.Support;

/// <summary>Looks at real processes through /proc, and cleans up the ones a test started.</summary>
internal static class Children
{
    /// <summary>Pids of this process's children that are zombies right now.</summary>
    internal static List<int> ZombiesOf(int parent) =>
        [.. AllStats().Where(s => s.ParentPid == parent && s.IsZombie).Select(s => s.Pid)];

    internal static IEnumerable<ProcStat> AllStats()
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                && ProcStat.TryRead(pid) is { } stat)
                yield return stat;
        }
    }

    internal static string Status(int pid, string field) =>
        File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal))[(field.Length + 1)..].Trim();

    internal static Dictionary<string, string> Environ(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "");

    /// <summary>The command line, NULs as spaces; empty when the process is gone.</summary>
    internal static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>What /proc/PID/exe points to ("" once the process is gone).</summary>
    internal static string Executable(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/exe").LinkTarget ?? "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    internal static int[] OpenFds(int pid) =>
        [.. Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Select(p => int.Parse(Path.GetFileName(p), CultureInfo.InvariantCulture)).Order()];

    /// <summary>
    /// Whether the process is blocked in nanosleep or clock_nanosleep: a sleep there is past its start-up, in which the
    /// dynamic loader and setlocale open files for a moment (its fd table can look settled between two of them).
    /// </summary>
    internal static bool IsInSleepCall(int pid)
    {
        int[] sleepCalls = RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? [101, 115] : [35, 230];
        string call = File.ReadAllText($"/proc/{pid}/syscall").Split(' ')[0];
        return int.TryParse(call, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && sleepCalls.Contains(number);
    }

    internal static string FdTarget(int pid, int fd) => new FileInfo($"/proc/{pid}/fd/{fd}").LinkTarget ?? "";

    /// <summary>SIGKILLs the process if <paramref name="identity"/> still names it (never a recycled pid).</summary>
    internal static void Kill(ProcessIdentity identity)
    {
        if (identity.IsAlive())
            Libc.kill(identity.Pid, Libc.SIGKILL);
    }

    /// <summary>
    /// posix_spawn returns once the child's old memory is released, a moment before the kernel has set up
    /// the new program's comm and environ; wait for those before looking at them.
    /// </summary>
    internal static void WaitForExec(int pid, string comm) =>
        Assert.True(WaitUntil(() => File.ReadAllText($"/proc/{pid}/comm").Trim() == comm && File.ReadAllBytes($"/proc/{pid}/environ").Length > 0, TimeSpan.FromSeconds(5)),
            $"pid {pid} did not finish exec of {comm}");

    /// <summary>Polls until <paramref name="condition"/> holds or the time is up.</summary>
    internal static bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
                return true;
            Thread.Sleep(20);
        }
        return condition();
    }
}
