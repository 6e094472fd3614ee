using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Outlive.Interop;
using Outlive.Spawn;

namespace Outlive.Escape;

/// <summary>
/// A detached child that exists — it has its pid, session and identity, so it can be moved into a
/// systemd scope — but has not run its program yet. It waits in a few bytes of /bin/sh on a pipe:
/// <see cref="Release"/> lets it exec the program (same pid); <see cref="Dispose"/> without release,
/// or the caller's death, closes the pipe and it exits 125 without ever running the program.
/// This is how a scope escape has no window in which the program runs inside the caller's unit.
/// </summary>
internal sealed class HeldProcess : IDisposable
{
    private readonly SafeFileHandle _gate;
    private readonly string _executable;
    private bool _released;

    private HeldProcess(int pid, ProcessIdentity identity, string executable, SafeFileHandle gate, Task<ExitStatus?> exited)
    {
        Pid = pid;
        Identity = identity;
        _executable = executable;
        _gate = gate;
        Exited = exited;
    }

    public int Pid { get; }

    public ProcessIdentity Identity { get; }

    public Task<ExitStatus?> Exited { get; }

    /// <summary>The exit code of a held child that was never released.</summary>
    public const int AbortedExitCode = 125;

    /// <summary>Starts the held child: every check of <see cref="DetachedProcess.Start"/> runs first.</summary>
    public static unsafe HeldProcess Start(DetachedStartInfo info)
    {
        // dash reads redirections only for fds 0..9: the gate sits right after the passed fds.
        if (info.PassedFds.Count > 6)
            throw new ChildStartException($"a held start passes at most 6 fds, not {info.PassedFds.Count}", Libc.EINVAL);
        DetachedSpawn.Prepared prepared = DetachedSpawn.Prepare(info);
        int* fds = stackalloc int[2];
        if (Libc.pipe2(fds, Libc.O_CLOEXEC) != 0)
            throw new ChildStartException($"pipe2 failed: {Libc.StrError(Marshal.GetLastPInvokeError())}", Marshal.GetLastPInvokeError());
        var readEnd = new SafeFileHandle(fds[0], ownsHandle: true);
        var gate = new SafeFileHandle(fds[1], ownsHandle: true);
        try
        {
            NativeSpawn.Request target = prepared.Request;
            int gateFd = 3 + target.PassedFds.Count;
            NativeSpawn.Request shim = target with
            {
                ExecutablePath = "/bin/sh",
                Argv = ["sh", "-c", ShimScript(gateFd, target.Environment), target.ExecutablePath, .. target.Argv.Skip(1)],
                PassedFds = [.. target.PassedFds, fds[0]],
            };
            (int pid, ProcessIdentity identity) = DetachedSpawn.Launch(prepared, shim);
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

    /// <summary>
    /// Waits for "go" on the gate fd, then execs the program with the gate closed; on EOF (released
    /// never, or the caller died) exits without running it. The program's argv[0] becomes its full path.
    /// dash exports PWD, so the shim puts back exactly what the caller asked for.
    /// </summary>
    private static string ShimScript(int gateFd, IReadOnlyCollection<KeyValuePair<string, string>> environment)
    {
        string? pwd = environment.FirstOrDefault(e => e.Key == "PWD").Value;
        string restorePwd = pwd is null ? "unset PWD" : $"export PWD={Quote(pwd)}";
        return $"IFS= read -r go <&{gateFd} && [ \"$go\" = go ] && {restorePwd} && exec \"$0\" \"$@\" {gateFd}<&-; exit {AbortedExitCode}";
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Lets the child run its program; returns it as a running <see cref="DetachedProcess"/>.</summary>
    public unsafe SpawnedChild Release()
    {
        ObjectDisposedException.ThrowIf(_gate.IsClosed, this);
        byte* go = stackalloc byte[] { (byte)'g', (byte)'o', (byte)'\n' };
        bool ok = Libc.write((int)_gate.DangerousGetHandle(), go, 3) == 3;
        int errno = Marshal.GetLastPInvokeError();
        _released = ok;
        _gate.Dispose();
        if (!ok)
            throw new ChildStartException($"held child {Pid} is gone before release: {Libc.StrError(errno)}", errno, _executable);
        return new SpawnedChild(Pid, Identity, _executable, Exited);
    }

    /// <summary>Without <see cref="Release"/>: the child exits without running its program.</summary>
    public void Dispose()
    {
        if (!_released)
            _gate.Dispose();
    }
}
