using System.Diagnostics;
using System.Globalization;
using System.Text;
using Outlive.SystemdBed.Bed;

namespace Outlive.Bench;

using SystemdBed = Outlive.SystemdBed.Bed.SystemdBed;

/// <summary>
/// This runner started again in <see cref="InsideBed"/> mode as a transient service of the bed's systemd
/// (KillMode=control-group, the case the escape exists for), from the repo's artifacts/ that the bed
/// shares at the same path. <c>systemd-run --pipe</c>, entered into the bed with nsenter as
/// <c>SystemdBed.RunAsync</c> does, hands the service this side's pipes for stdin, stdout and stderr.
/// </summary>
internal sealed class InsideBedProcess : IDisposable
{
    private const string BedPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private InsideBedProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
                _stderr.AppendLine(e.Data);
        };
        _process.BeginErrorReadLine();
    }

    public static InsideBedProcess Start(SystemdBed bed)
    {
        var psi = new ProcessStartInfo("nsenter")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in (string[])[
            "-t", bed.HostPid.ToString(CultureInfo.InvariantCulture), "-a", "-r", "-w", "--",
            "env", "-i", $"PATH={BedPath}",
            "systemd-run", "--quiet", "--pipe", "--wait", "--collect", "--unit", "outlive-bench-inside",
            "--setenv", $"DOTNET_ROOT={RepoLayout.DotnetRoot}",
            Path.Combine(AppContext.BaseDirectory, "Outlive.Bench"), InsideBed.Flag])
            psi.ArgumentList.Add(argument);
        return new InsideBedProcess(Process.Start(psi)!);
    }

    /// <summary>Samples in µs of <paramref name="count"/> runs of an <see cref="InsideBed"/> case.</summary>
    public IReadOnlyList<double> Measure(string insideCase, int count, params string[] arguments)
    {
        _process.StandardInput.WriteLine(string.Join('\t', [insideCase, count.ToString(CultureInfo.InvariantCulture), .. arguments]));
        _process.StandardInput.Flush();
        var samples = new List<double>(count);
        while (_process.StandardOutput.ReadLine() is { Length: > 0 } line)
            samples.Add(double.Parse(line, CultureInfo.InvariantCulture));
        if (samples.Count != count)
        {
            _process.WaitForExit(5000);
            lock (_stderr)
                throw new InvalidOperationException($"the runner inside the bed answered {samples.Count} of {count} samples of '{insideCase}': {_stderr.ToString().Trim()}");
        }
        return samples;
    }

    public void Dispose()
    {
        _process.StandardInput.Close();
        if (!_process.WaitForExit(10_000))
            _process.Kill();
        _process.Dispose();
    }
}
