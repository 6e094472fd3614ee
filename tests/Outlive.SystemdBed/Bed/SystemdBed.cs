using System.Diagnostics;
using System.Globalization;
using Outlive.Procfs;

namespace Outlive.SystemdBed.Bed;

/// <summary>What a command run inside the bed returned.</summary>
public sealed record BedCommandResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}; stdout: {Stdout.Trim()}; stderr: {Stderr.Trim()}";
}

/// <summary>
/// The machine's own systemd booted as PID 1 in private pid/mount/uts/ipc/cgroup namespaces, on a
/// tmpfs-backed overlay of <c>/</c>, inside a host cgroup of its own.
/// Nothing it writes reaches the host's filesystem; disposing it SIGKILLs the whole tree via cgroup.kill.
/// PIDs inside the bed differ from host PIDs: every PID this API takes or returns is a bed PID,
/// except <see cref="HostPid"/>.
/// </summary>
public sealed class SystemdBed : IDisposable
{
    private const string SystemdBinary = "/usr/lib/systemd/systemd";
    private const string BedPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    // Runs in the new namespaces as their PID 1, then becomes systemd. The scratch tmpfs is mounted over
    // /mnt in the bed's private mount namespace: nothing is created on the host (not in its /tmp, /run,
    // /var/tmp or /dev/shm), the host never sees the mount, and it vanishes with the namespace even if
    // the test run is killed - no scratch dir can be left behind to clean up.
    private const string BootScript = """
        set -eu
        shared="$1"
        mount -t tmpfs -o mode=0755 outlive-bed /mnt
        mkdir /mnt/upper /mnt/work /mnt/root
        mount -t overlay outlive-bed -o lowerdir=/,upperdir=/mnt/upper,workdir=/mnt/work /mnt/root
        cd /mnt/root
        mount -t proc proc proc
        mount --rbind /dev dev
        mount -t sysfs sysfs sys
        mount -t cgroup2 cgroup2 sys/fs/cgroup
        mount -t tmpfs -o mode=0755 tmpfs run
        mount -t tmpfs -o mode=1777 tmpfs tmp
        mkdir -p "./$shared"
        mount --bind "$shared" "./$shared"
        mkdir oldroot
        pivot_root . oldroot
        cd /
        umount -l /oldroot
        rmdir /oldroot
        exec env -i container=outlive-bed /usr/lib/systemd/systemd --system
        """;

    private readonly Process _unshare;
    private readonly string _cgroup;
    private readonly BootLog _bootLog;

    private SystemdBed(Process unshare, string cgroup, BootLog bootLog, int hostPid)
    {
        _unshare = unshare;
        _cgroup = cgroup;
        _bootLog = bootLog;
        HostPid = hostPid;
    }

    /// <summary>Host PID of the bed's systemd (PID 1 inside): the target for nsenter and /proc/PID/root.</summary>
    public int HostPid { get; }

    /// <summary>Wall time from starting unshare to <c>systemctl is-system-running</c> saying running/degraded.</summary>
    public TimeSpan BootTime { get; private set; }

    /// <summary>First line of <c>systemctl --version</c> inside the bed, e.g. "systemd 252 (252.38-1~deb12u1)".</summary>
    public string SystemdVersion { get; private set; } = "";

    /// <summary>Units that had failed when the boot finished (systemd then says "degraded").</summary>
    public IReadOnlyList<string> FailedUnitsAtBoot { get; private set; } = [];

    /// <summary>Leftover beds of crashed runs that this boot removed (their host cgroup paths).</summary>
    public IReadOnlyList<string> RemovedLeftovers { get; private set; } = [];

    /// <summary>Why no bed can be booted here (not root, no cgroup2, no systemd), or null when it can.</summary>
    public static string? WhyCannotBoot()
    {
        if (!OperatingSystem.IsLinux())
            return "the systemd bed needs Linux";
        if (EffectiveUid() != 0)
            return "the systemd bed needs root (namespaces, mounts, host cgroups)";
        if (BedCgroups.FindCgroup2Mount() is null)
            return "the systemd bed needs a cgroup2 mount on the host";
        if (!File.Exists(SystemdBinary))
            return $"the systemd bed needs {SystemdBinary}";
        return null;
    }

    /// <summary>
    /// Boots a bed that sees <paramref name="sharedHostDirectory"/> (e.g. the repo's artifacts/) at the same
    /// path, after removing leftover beds whose owner is gone.
    /// </summary>
    public static async Task<SystemdBed> BootAsync(string sharedHostDirectory, TimeSpan timeout)
    {
        string cgroup2 = BedCgroups.FindCgroup2Mount() ?? throw new InvalidOperationException("no cgroup2 mount");
        IReadOnlyList<string> removed = BedCgroups.RemoveLeftovers(cgroup2);
        string cgroup = BedCgroups.Create(cgroup2);
        var clock = Stopwatch.StartNew();

        // sh moves itself into the bed's cgroup before exec'ing unshare, so the new cgroup namespace is
        // rooted there and everything the bed starts stays inside it (the test host does not).
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.Environment.Clear();
        start.Environment["PATH"] = BedPath;
        foreach (string arg in (string[])[
            "-c", "echo $$ > \"$1/cgroup.procs\" && shift && exec \"$@\"", "sh", cgroup,
            "unshare", "--pid", "--fork", "--mount", "--uts", "--ipc", "--net", "--cgroup", "--propagation", "private",
            "/bin/bash", "-c", BootScript, "outlive-bed-boot", sharedHostDirectory])
            start.ArgumentList.Add(arg);

        var unshare = Process.Start(start)!;
        var bootLog = new BootLog(unshare);
        var bed = new SystemdBed(unshare, cgroup, bootLog, await FindSystemdAsync(unshare, bootLog, cgroup, timeout))
        {
            RemovedLeftovers = removed,
        };
        try
        {
            await bed.WaitUntilBootedAsync(timeout);
            bed.BootTime = clock.Elapsed;
            bed.SystemdVersion = (await bed.RunAsync("systemctl", "--version")).Stdout.Split('\n')[0].Trim();
            return bed;
        }
        catch
        {
            bed.Dispose();
            throw;
        }
    }

    /// <summary>Runs a command in all the bed's namespaces (as root, with a clean environment).</summary>
    public Task<BedCommandResult> RunAsync(params string[] argv) => RunAsync(argv, TimeSpan.FromSeconds(60));

    /// <summary>Runs a command in all the bed's namespaces; fails when it takes longer than <paramref name="timeout"/>.</summary>
    public async Task<BedCommandResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("nsenter")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Clear();
        start.Environment["PATH"] = BedPath;
        start.Environment["SYSTEMD_COLORS"] = "0";
        foreach (string arg in (string[])["-t", HostPid.ToString(CultureInfo.InvariantCulture), "-a", "-r", "-w", "--"])
            start.ArgumentList.Add(arg);
        foreach (string arg in argv)
            start.ArgumentList.Add(arg);

        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"'{string.Join(' ', argv)}' in the bed took longer than {timeout}");
        }
        return new BedCommandResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Like <see cref="RunAsync(string[])"/> but throws unless the command exits 0.</summary>
    public async Task<string> RunCheckedAsync(params string[] argv)
    {
        BedCommandResult result = await RunAsync(argv);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"'{string.Join(' ', argv)}' in the bed failed: {result}");
        return result.Stdout;
    }

    /// <summary>The host path of <paramref name="pathInside"/> (an absolute path as the bed sees it).</summary>
    public string HostPathOf(string pathInside) =>
        $"/proc/{HostPid.ToString(CultureInfo.InvariantCulture)}/root{pathInside}";

    /// <summary>Writes a file inside the bed (onto its overlay or tmpfs), creating its folder.</summary>
    public void WriteFile(string pathInside, string content)
    {
        string hostPath = HostPathOf(pathInside);
        Directory.CreateDirectory(Path.GetDirectoryName(hostPath)!);
        File.WriteAllText(hostPath, content);
    }

    /// <summary>Reads a file inside the bed; null when it does not exist.</summary>
    public string? TryReadFile(string pathInside)
    {
        try
        {
            return File.ReadAllText(HostPathOf(pathInside));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>/proc/PID/stat of a bed PID; null when no such process (exited, or not visible).</summary>
    internal ProcStat? TryReadProcStat(int pid)
    {
        try
        {
            return ProcStat.Parse(File.ReadAllText(HostPathOf($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat")));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return null;
        }
    }

    /// <summary>True when bed PID <paramref name="pid"/> is still the process that started at <paramref name="startTimeTicks"/> and not a zombie.</summary>
    public bool IsAlive(int pid, ulong startTimeTicks)
    {
        ProcStat? stat = TryReadProcStat(pid);
        return stat is not null && stat.StartTimeTicks == startTimeTicks && !stat.IsZombie;
    }

    /// <summary>
    /// The cgroup-v2 path of a bed PID as the bed sees it (the <c>0::</c> line of /proc/PID/cgroup; the bed
    /// also lists the host's v1 hierarchies, which say nothing about units). Read from inside the bed
    /// because the kernel renders the path relative to the reader's cgroup namespace. Null when no such process.
    /// </summary>
    public async Task<string?> TryReadUnifiedCgroupAsync(int pid)
    {
        BedCommandResult result = await RunAsync("cat", $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cgroup");
        return result.ExitCode != 0 ? null
            : result.Stdout.Split('\n').FirstOrDefault(line => line.StartsWith("0::", StringComparison.Ordinal))?[3..];
    }

    /// <summary>Writes unit files into the bed's /etc/systemd/system and reloads systemd once for all of them.</summary>
    public async Task InstallUnitsAsync(IReadOnlyDictionary<string, string> unitFilesByName)
    {
        foreach ((string name, string content) in unitFilesByName)
            WriteFile($"/etc/systemd/system/{name}", content);
        await RunCheckedAsync("systemctl", "daemon-reload");
    }

    /// <summary>The messages of <paramref name="unit"/> in the bed's journal, systemd's own about it included.</summary>
    public async Task<IReadOnlyList<string>> ReadJournalAsync(string unit)
    {
        // --sync: journald has written everything it received before this call.
        await RunCheckedAsync("journalctl", "--sync");
        string text = await RunCheckedAsync("journalctl", "--no-pager", "-o", "cat", "-u", unit);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The value of one property of a unit, as <c>systemctl show -P</c> prints it.</summary>
    public async Task<string> ShowPropertyAsync(string unit, string property) =>
        (await RunCheckedAsync("systemctl", "show", "-P", property, unit)).Trim();

    /// <summary>SIGKILLs everything in the bed through its cgroup and removes the cgroup tree.</summary>
    public void Dispose()
    {
        BedCgroups.KillAndRemove(_cgroup, TimeSpan.FromSeconds(10));
        _unshare.WaitForExit(5000);
        _unshare.Dispose();
        // The killed systemd lingers as a zombie until the host's init reaps it; wait for that too.
        for (int i = 0; i < 250 && Directory.Exists($"/proc/{HostPid.ToString(CultureInfo.InvariantCulture)}"); i++)
            Thread.Sleep(20);
    }

    private static async Task<int> FindSystemdAsync(Process unshare, BootLog bootLog, string cgroup, TimeSpan timeout)
    {
        // unshare --fork: its only child is the boot script, which exec's systemd.
        var deadline = DateTime.UtcNow + timeout;
        string children = $"/proc/{unshare.Id}/task/{unshare.Id}/children";
        while (DateTime.UtcNow < deadline && !unshare.HasExited)
        {
            string? child = File.Exists(children) ? File.ReadAllText(children).Trim() : null;
            if (int.TryParse(child, CultureInfo.InvariantCulture, out int pid)
                && ProcStat.TryRead(pid) is { Command: "systemd" })
                return pid;
            await Task.Delay(20);
        }
        BedCgroups.KillAndRemove(cgroup, TimeSpan.FromSeconds(10));
        unshare.WaitForExit(5000);
        throw new InvalidOperationException($"the bed's systemd did not start; boot output:\n{bootLog}");
    }

    private async Task WaitUntilBootedAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        string state = "";
        while (DateTime.UtcNow < deadline)
        {
            state = (await RunAsync("systemctl", "is-system-running")).Stdout.Trim();
            if (state is "running" or "degraded")
            {
                string failed = await RunCheckedAsync("systemctl", "list-units", "--state=failed", "--plain", "--no-legend", "--no-pager");
                FailedUnitsAtBoot = failed.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Select(line => line.Split(' ')[0]).ToArray();
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"the bed's systemd was still '{state}' after {timeout}; boot output:\n{_bootLog}");
    }

    private static int EffectiveUid()
    {
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        return line is null ? -1 : int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture);
    }

    /// <summary>The last lines the boot script and systemd wrote to their stdout/stderr, for failure messages.</summary>
    private sealed class BootLog
    {
        private const int MaxLines = 200;
        private readonly Queue<string> _lines = new();

        public BootLog(Process process)
        {
            process.OutputDataReceived += (_, e) => Add(e.Data);
            process.ErrorDataReceived += (_, e) => Add(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        private void Add(string? line)
        {
            if (line is null)
                return;
            lock (_lines)
            {
                _lines.Enqueue(line);
                if (_lines.Count > MaxLines)
                    _lines.Dequeue();
            }
        }

        public override string ToString()
        {
            lock (_lines)
                return string.Join('\n', _lines);
        }
    }
}
