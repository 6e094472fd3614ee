using System.Net;
using System.Net.Sockets;
using Outlive.Diagnosis;
using Outlive.Procfs;
using Outlive.Spawn;
using Outlive.Tests.Support;

namespace Outlive.Tests.Diagnosis;

public class HazardsTests
{
    [Fact]
    public void A_listening_socket_without_close_on_exec_is_a_hazard_and_one_with_it_is_not()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        int fd = (int)listener.Handle;
        Assert.DoesNotContain(Hazards.Of(Environment.ProcessId), h => h.Finding.StartsWith($"fd {fd} ", StringComparison.Ordinal));

        Assert.Equal(0, TestLibc.fcntl(fd, TestLibc.F_SETFD, 0));
        var hazard = Assert.Single(Hazards.Of(Environment.ProcessId), h => h.Id == "inheritable-listener" && h.Finding.StartsWith($"fd {fd} ", StringComparison.Ordinal));
        Assert.Contains("TCP", hazard.Finding, StringComparison.Ordinal);
    }

    [Fact]
    public void Service_variables_and_a_controlling_terminal_of_another_process_are_found()
    {
        using var scratch = new Repo.ScratchDir();
        string pidFile = Path.Combine(scratch.Path, "pid");
        // script(1) gives the shell a real terminal; the shell has NOTIFY_SOCKET in its environment.
        var env = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = "/run/systemd/notify" };
        var script = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("script", ["-qec", $"echo $$ > {pidFile}; exec sleep 30", "/dev/null"])
        {
            Environment = { ["NOTIFY_SOCKET"] = env["NOTIFY_SOCKET"] },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        })!;
        try
        {
            Assert.True(Children.WaitUntil(() => File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'), TimeSpan.FromSeconds(5)));
            int pid = int.Parse(File.ReadAllText(pidFile), System.Globalization.CultureInfo.InvariantCulture);
            Children.WaitForExec(pid, "sleep");
            var ids = Hazards.Of(pid).Select(h => h.Id).ToList();
            Assert.Contains("controlling-terminal", ids);
            Assert.Contains("service-variable", ids);
        }
        finally
        {
            script.Kill(entireProcessTree: true);
            script.WaitForExit();
        }
    }

    [Fact]
    public void An_orphan_of_this_process_lands_on_its_nearest_subreaper_or_pid_1()
    {
        var reaper = Hazards.OrphanReaper();
        Assert.NotNull(reaper);
        // This test host is no subreaper: the orphan goes past it.
        Assert.NotEqual(Environment.ProcessId, reaper.Value.Pid);
        Assert.NotNull(ProcStat.TryRead(reaper.Value.Pid));
    }
}
