using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Outlive.Interop;
using Outlive.Procfs;
using Outlive.Spawn;

namespace Outlive.Diagnosis;

/// <summary>Finds the hazards of one process by reading /proc (and prctl, for the calling process).</summary>
internal static class Hazards
{
    public static IReadOnlyList<Hazard> Of(int pid)
    {
        var found = new List<Hazard>();
        ProcStat? stat = ProcStat.TryRead(pid);
        if (stat is not null && stat.TtyNr != 0)
        {
            found.Add(new Hazard("controlling-terminal",
                $"pid {pid} has a controlling terminal (tty_nr {stat.TtyNr}): when it closes, the kernel hangs up its foreground process group",
                "start children detached (outlive always calls setsid); a plain child in this session dies of SIGHUP"));
        }

        foreach (string name in ServiceVariablesIn(pid))
        {
            found.Add(new Hazard("service-variable",
                $"{name} is set: a child that inherits it can talk to this unit (sd_notify, socket activation, watchdog)",
                "outlive drops NOTIFY_SOCKET, LISTEN_* and WATCHDOG_* from its children; other launchers must unset them"));
        }

        foreach ((int fd, string socket) in InheritableListeningSockets(pid))
        {
            found.Add(new Hazard("inheritable-listener",
                $"fd {fd} is a listening {socket} socket without close-on-exec: a child started by fork/exec keeps the port open after this process dies",
                "set O_CLOEXEC on it; outlive closes every fd >= 3 in its children"));
        }

        if (pid == Environment.ProcessId && Libc.PrctlGetInt(Libc.PR_GET_PDEATHSIG) is > 0 and var signal)
        {
            found.Add(new Hazard("parent-death-signal",
                $"PR_SET_PDEATHSIG is set to signal {signal}: this process dies when the thread that started it exits",
                "clear it (prctl(PR_SET_PDEATHSIG, 0)) in processes meant to outlive their launcher"));
        }
        return found;
    }

    /// <summary>
    /// Where an orphan of the calling process lands: an orphan goes to the nearest ancestor that is a
    /// child subreaper (systemd --user, container inits, tini…), not always PID 1. Measured with a real
    /// orphan: a detached shell starts a background sleep and exits.
    /// </summary>
    public static unsafe (int Pid, string Command)? OrphanReaper()
    {
        int* fds = stackalloc int[2];
        if (Libc.pipe2(fds, Libc.O_CLOEXEC) != 0)
            return null;
        using var reader = new FileStream(new SafeFileHandle(fds[0], ownsHandle: true), FileAccess.Read);
        DetachedProcess shell;
        using (var writer = new SafeFileHandle(fds[1], ownsHandle: true))
        {
            shell = DetachedProcess.Start(new DetachedStartInfo
            {
                Program = "/bin/sh",
                Arguments = ["-c", "sleep 30 3>&- & echo $! >&3"],
                PassedFds = [fds[1]],
            });
        }
        string text = new StreamReader(reader).ReadToEnd().Trim();
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int orphan))
            return null;
        shell.Exited.Wait(TimeSpan.FromSeconds(10));
        ProcStat? stat = ProcStat.TryRead(orphan);
        if (ProcessIdentity.TryCapture(orphan) is { } identity && identity.IsAlive())
            Libc.kill(orphan, Libc.SIGKILL);
        return stat is null ? null : (stat.ParentPid, ProcStat.TryRead(stat.ParentPid)?.Command ?? "?");
    }

    private static IEnumerable<string> ServiceVariablesIn(int pid)
    {
        string environ;
        try
        {
            environ = File.ReadAllText($"/proc/{pid}/environ");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (string entry in environ.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = entry.Split('=', 2)[0];
            if (ChildEnvironment.SystemdServiceVariables.Contains(name))
                yield return name;
        }
    }

    private const int OCloexecOctalFlag = 0x80000;

    private static IEnumerable<(int Fd, string Kind)> InheritableListeningSockets(int pid)
    {
        Dictionary<string, string> listeners = ListeningSocketInodes();
        IEnumerable<string> fds;
        try
        {
            fds = Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (string path in fds)
        {
            string? target = new FileInfo(path).LinkTarget;
            if (target is null || !target.StartsWith("socket:[", StringComparison.Ordinal))
                continue;
            string inode = target[8..^1];
            if (!listeners.TryGetValue(inode, out string? kind))
                continue;
            int fd = int.Parse(Path.GetFileName(path), CultureInfo.InvariantCulture);
            if (!IsCloseOnExec(pid, fd))
                yield return (fd, kind);
        }
    }

    private static bool IsCloseOnExec(int pid, int fd)
    {
        try
        {
            string flags = File.ReadLines($"/proc/{pid}/fdinfo/{fd}").First(l => l.StartsWith("flags:", StringComparison.Ordinal))[6..].Trim();
            return (Convert.ToInt32(flags, 8) & OCloexecOctalFlag) != 0;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or FormatException)
        {
            return true;
        }
    }

    /// <summary>Inodes of listening sockets, from /proc/net: TCP state 0A, unix sockets with __SO_ACCEPTCON.</summary>
    internal static Dictionary<string, string> ListeningSocketInodes()
    {
        var inodes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string file, string kind) in new[] { ("tcp", "TCP"), ("tcp6", "TCPv6") })
        {
            foreach (string[] cols in Table($"/proc/net/{file}"))
            {
                if (cols.Length > 9 && cols[3] == "0A")
                    inodes[cols[9]] = kind;
            }
        }
        foreach (string[] cols in Table("/proc/net/unix"))
        {
            if (cols.Length > 6 && cols[3] == "00010000")
                inodes[cols[6]] = "unix";
        }
        return inodes;
    }

    private static IEnumerable<string[]> Table(string path) =>
        File.Exists(path)
            ? File.ReadLines(path).Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            : [];
}
