using System.Diagnostics;
using Outlive.Procfs;
using Outlive.Registry;

namespace Outlive.Tests.Registry;

/// <summary>A private directory under /var/tmp per test (never the machine's /tmp or /run/outlive), deleted after.</summary>
internal sealed class ScratchDir : IDisposable
{
    public string Root { get; } = Path.Combine("/var/tmp", $"outlive-tests-{Guid.NewGuid():N}");

    public ScratchDir() => Directory.CreateDirectory(Root);

    public string StateDir => Path.Combine(Root, "state");

    public string PathOf(string name) => Path.Combine(Root, name);

    public RegistryStore Registry(Func<RegistryEntry, CancellationToken, Task<ChildState?>>? unitState = null) => new(StateDir, unitState);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>A real child process of the test host, killed and reaped on dispose so no zombie is left.</summary>
internal sealed class TestChild : IDisposable
{
    private TestChild(Process process) => Process = process;

    public Process Process { get; }

    public int Pid => Process.Id;

    public ProcessIdentity Identity => ProcessIdentity.TryCapture(Pid) ?? throw new InvalidOperationException($"pid {Pid} is gone");

    public static TestChild Sleeping() => Start("sleep", "100");

    /// <summary>Ignores SIGTERM (an ignored signal stays ignored across exec); ready once it is <c>sleep</c>.</summary>
    public static TestChild IgnoringTerm()
    {
        var child = Start("sh", "-c", "trap '' TERM; exec sleep 100");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (ProcStat.TryRead(child.Pid)?.Command != "sleep")
        {
            Assert.True(DateTime.UtcNow < deadline, "the TERM-ignoring child never reached exec sleep");
            Thread.Sleep(10);
        }
        return child;
    }

    public bool IsRunning => ProcessIdentity.TryCapture(Pid) is { } now && now.IsAlive() && !Process.HasExited;

    private static TestChild Start(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (string arg in args)
            info.ArgumentList.Add(arg);
        return new TestChild(Process.Start(info)!);
    }

    public void Dispose()
    {
        if (!Process.HasExited)
            Process.Kill();
        Process.WaitForExit();
        Process.Dispose();
    }
}

internal static class Launches
{
    public static ChildLaunch Of(ProcessIdentity child, string? pidFile = null) =>
        new(child, EscapeStrategy.Setsid, null, ["sleep", "100"], "/", "/var/log/x.out", null, pidFile);

    /// <summary>Reserves and commits in one go, like <c>outlive run</c> after a successful start.</summary>
    public static async Task<RegistryEntry> RegisterAsync(this RegistryStore registry, string? name, ProcessIdentity child, string? pidFile = null)
    {
        using var reservation = await registry.ReserveAsync(name, "sleep", replace: false, CancellationToken.None);
        return reservation.Commit(Of(child, pidFile));
    }
}
