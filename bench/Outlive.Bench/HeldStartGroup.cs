using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Outlive.Escape;
using Outlive.Interop;
using Outlive.Spawn;

namespace Outlive.Bench;

/// <summary>
/// What holding a child costs: a registered start creates it held in the gate and releases it once registered.
/// The native gate (gate.c in a memfd) against the /bin/sh gate it replaced (rebuilt here as it was), and no gate.
/// Child = /bin/true; "start call" ends when the child is released, "to exit" when /bin/true has run and been reaped.
/// </summary>
internal sealed class HeldStartGroup : IBenchGroup
{
    public const string NoGate = "DetachedProcess.Start, no gate";
    public const string NativeGate = "held start, native gate (now)";
    public const string ShellGate = "held start, /bin/sh gate (before)";

    public string Name => "held start";

    public GroupResult Run(BenchSettings settings)
    {
        var info = new DetachedStartInfo { Program = "/bin/true" };
        List<CaseResult> calls = Interleaved.Run(
            [
                new BenchCase(NoGate + ": start call", n => Time(n, () => DetachedSpawn.Start(info).Exited, untilExit: false)),
                new BenchCase(NativeGate + ": start call", n => Time(n, () => StartNative(info), untilExit: false)),
                new BenchCase(ShellGate + ": start call", n => Time(n, () => StartShell(info), untilExit: false)),
                new BenchCase(NoGate + ": to exit", n => Time(n, () => DetachedSpawn.Start(info).Exited, untilExit: true)),
                new BenchCase(NativeGate + ": to exit", n => Time(n, () => StartNative(info), untilExit: true)),
                new BenchCase(ShellGate + ": to exit", n => Time(n, () => StartShell(info), untilExit: true)),
            ],
            settings.SpawnRounds, settings.SpawnBatch, warmupSize: 20);
        return new GroupResult(Name,
            "µs from the start call until the child is released (start call), or until /bin/true has run and been reaped (to exit)",
            calls, HasBaseline: false, [], []);
    }

    private static Task<ExitStatus?> StartNative(DetachedStartInfo info)
    {
        using HeldProcess held = HeldProcess.Start(info);
        return held.Release().Exited;
    }

    /// <summary>The gate before: a few bytes of /bin/sh reading "go" from a pipe, then exec.</summary>
    private static unsafe Task<ExitStatus?> StartShell(DetachedStartInfo info)
    {
        DetachedSpawn.Prepared prepared = DetachedSpawn.Prepare(info);
        int* fds = stackalloc int[2];
        if (Libc.pipe2(fds, Libc.O_CLOEXEC) != 0)
            throw new InvalidOperationException("pipe2 failed");
        using var readEnd = new SafeFileHandle(fds[0], ownsHandle: true);
        using var gate = new SafeFileHandle(fds[1], ownsHandle: true);
        NativeSpawn.Request target = prepared.Request;
        NativeSpawn.Request shim = target with
        {
            ExecutablePath = "/bin/sh",
            Argv = [.. new[] { "sh", "-c", "IFS= read -r go <&3 && [ \"$go\" = go ] && exec \"$0\" \"$@\" 3<&-; exit 125", target.ExecutablePath }
                .Select(System.Text.Encoding.UTF8.GetBytes), .. target.Argv.Skip(1)],
            PassedFds = [fds[0]],
        };
        (int pid, _) = DetachedSpawn.Launch(prepared, shim);
        Task<ExitStatus?> exited = ChildReaper.Shared.Watch(pid);
        byte* go = stackalloc byte[] { (byte)'g', (byte)'o', (byte)'\n' };
        if (Libc.write(fds[1], go, 3) != 3)
            throw new InvalidOperationException($"write failed: {Marshal.GetLastPInvokeError()}");
        return exited;
    }

    private static List<double> Time(int calls, Func<Task<ExitStatus?>> start, bool untilExit)
    {
        var samples = new List<double>(calls);
        for (int i = 0; i < calls; i++)
        {
            long begin = Stopwatch.GetTimestamp();
            Task<ExitStatus?> exited = start();
            double call = Stopwatch.GetElapsedTime(begin).TotalMicroseconds;
            exited.Wait();
            samples.Add(untilExit ? Stopwatch.GetElapsedTime(begin).TotalMicroseconds : call);
        }
        return samples;
    }
}
