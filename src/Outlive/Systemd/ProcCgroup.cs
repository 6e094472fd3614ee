using System.Globalization;

namespace Outlive.Systemd;

/// <summary>Reads the cgroup a process is in from <c>/proc/PID/cgroup</c> (cgroups(7)).</summary>
internal static class ProcCgroup
{
    /// <summary>The cgroup path of <paramref name="pid"/>; null when the process is gone or lists no usable line.</summary>
    public static string? TryRead(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cgroup");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return null;
        }
        return Parse(text);
    }

    /// <summary>
    /// Picks the line systemd tracks units in: the unified <c>0::</c> line, or the v1 <c>name=systemd</c>
    /// line on a legacy layout. A hybrid or namespaced host also lists v1 controllers (and sometimes a
    /// <c>name=systemd</c> left at <c>/</c>), so the first line is not the answer. When <c>0::</c> says
    /// <c>/</c> but <c>name=systemd</c> names a deeper path, the unified hierarchy is mounted but unused.
    /// </summary>
    public static string? Parse(string text)
    {
        string? unified = null, named = null;
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // hierarchy-ID:controller-list:path; the path itself may contain ':'.
            int first = line.IndexOf(':');
            int second = first < 0 ? -1 : line.IndexOf(':', first + 1);
            if (second < 0)
                continue;
            string controllers = line[(first + 1)..second];
            string path = line[(second + 1)..];
            if (line.AsSpan(0, first).SequenceEqual("0") && controllers.Length == 0)
                unified = path;
            else if (controllers.Split(',').Contains("name=systemd"))
                named = path;
        }
        if (unified is not null && !(unified == "/" && named is not null && named != "/"))
            return unified;
        return named ?? unified;
    }

    /// <summary>Where systemd's cgroup tree is mounted: the unified hierarchy, beside v1 on a hybrid host, or the legacy name=systemd one.</summary>
    static readonly string[] Roots = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd", "/sys/fs/cgroup"];

    /// <summary>
    /// Every process in the cgroup <paramref name="controlGroup"/> (a unit's ControlGroup) and below it, lowest PID first;
    /// empty when the cgroup is gone or cannot be read.
    /// </summary>
    public static IReadOnlyList<int> ProcessesIn(string controlGroup)
    {
        foreach (string root in Roots)
        {
            string dir = root + controlGroup;
            if (!File.Exists(Path.Combine(dir, "cgroup.procs")))
                continue;
            var pids = new List<int>();
            try
            {
                foreach (string procs in Directory.EnumerateFiles(dir, "cgroup.procs", SearchOption.AllDirectories))
                {
                    foreach (string line in File.ReadLines(procs))
                    {
                        if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                            pids.Add(pid);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The unit ended while it was read: what was read is what there was.
            }
            pids.Sort();
            return pids;
        }
        return [];
    }
}
