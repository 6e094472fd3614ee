using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Outlive.Escape.Gate;
using Outlive.Interop;
using Outlive.Spawn;

namespace Outlive.Escape;

/// <summary>
/// A detached child that exists — it has its pid, session and identity, so it can be moved into a systemd scope
/// and registered — but has not run its program yet. It waits in the gate (Gate/gate.c, a few hundred bytes of
/// static code with no libc) on a pipe: <see cref="Release"/> lets it exec the program (same pid, argv and
/// environment byte for byte); <see cref="Dispose"/> without release, or the caller's death, closes the pipe
/// and it exits 125 without ever running the program.
/// </summary>
internal sealed class HeldProcess : IDisposable
{
    private readonly SafeFileHandle _gate;
    private bool _released;

    private HeldProcess(int pid, ProcessIdentity identity, string executable, SafeFileHandle gate, Task<ExitStatus?> exited)
    {
        Pid = pid;
        Identity = identity;
        ExecutablePath = executable;
        _gate = gate;
        Exited = exited;
    }

    public int Pid { get; }

    public ProcessIdentity Identity { get; }

    /// <summary>The program it runs once released (after the PATH lookup).</summary>
    public string ExecutablePath { get; }

    public Task<ExitStatus?> Exited { get; }

    /// <summary>The exit code of a held child that was never released.</summary>
    public const int AbortedExitCode = 125;

    /// <summary>Starts the held child: every check of <see cref="DetachedProcess.Start"/> runs first.</summary>
    public static unsafe HeldProcess Start(DetachedStartInfo info)
    {
        DetachedSpawn.Prepared prepared = DetachedSpawn.Prepare(info);
        int image = GateFile.Fd;
        int* fds = stackalloc int[2];
        if (Libc.pipe2(fds, Libc.O_CLOEXEC) != 0)
            throw new ChildStartException($"pipe2 failed: {Libc.StrError(Marshal.GetLastPInvokeError())}", Marshal.GetLastPInvokeError());
        var readEnd = new SafeFileHandle(fds[0], ownsHandle: true);
        var gate = new SafeFileHandle(fds[1], ownsHandle: true);
        try
        {
            // The child gets the passed fds at 3, 4, …, then the pipe's read end, then the gate's image right after it.
            NativeSpawn.Request target = prepared.Request;
            int gateFd = 3 + target.PassedFds.Count;
            NativeSpawn.Request held = target with
            {
                ExecutablePath = GateFile.PathInChild(gateFd + 1),
                Argv = GateFile.Argv(gateFd, target.ExecutablePath, target.Argv),
                PassedFds = [.. target.PassedFds, fds[0], image],
            };
            (int pid, ProcessIdentity identity) = DetachedSpawn.Launch(prepared, held);
            return new HeldProcess(pid, identity, target.ExecutablePath, gate, ChildReaper.Shared.Watch(pid));
        }
        catch
        {
            gate.Dispose();
            throw;
        }
        finally
        {
            readEnd.Dispose();
        }
    }

    /// <summary>Lets the child run its program; returns it as running.</summary>
    public unsafe SpawnedChild Release()
    {
        ObjectDisposedException.ThrowIf(_gate.IsClosed, this);
        byte* go = stackalloc byte[] { (byte)'g', (byte)'o', (byte)'\n' };
        bool ok = Libc.write((int)_gate.DangerousGetHandle(), go, 3) == 3;
        int errno = Marshal.GetLastPInvokeError();
        _released = ok;
        _gate.Dispose();
        if (!ok)
            throw new ChildStartException($"held child {Pid} is gone before release: {Libc.StrError(errno)}", errno, ExecutablePath);
        return new SpawnedChild(Pid, Identity, ExecutablePath, Exited);
    }

    /// <summary>Without <see cref="Release"/>: the child exits without running its program.</summary>
    public void Dispose()
    {
        if (!_released)
            _gate.Dispose();
    }
}
