using Outlive.SystemdBed.Bed;

namespace Outlive.Bench;

using SystemdBed = Outlive.SystemdBed.Bed.SystemdBed;

/// <summary>
/// One systemd bed per run, shared by the bed groups, with the runner inside it (<see cref="InsideBedProcess"/>);
/// or the reason there is none, for which those groups are skipped.
/// </summary>
internal sealed class BedSession : IDisposable
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(120);
    private readonly SystemdBed? _bed;

    private BedSession(SystemdBed? bed, InsideBedProcess? inside, string? unavailable)
    {
        _bed = bed;
        Inside = inside;
        Unavailable = unavailable;
    }

    /// <summary>The runner inside the bed; null when <see cref="Unavailable"/> says why.</summary>
    public InsideBedProcess? Inside { get; }

    public string? Unavailable { get; }

    /// <summary>What was booted, for the doc; empty when nothing was.</summary>
    public string Description => _bed is null ? ""
        : $"systemd bed: {_bed.SystemdVersion} booted as PID 1 in private namespaces in {_bed.BootTime.TotalSeconds:0.0} s";

    public static BedSession Boot()
    {
        if (SystemdBed.WhyCannotBoot() is { } reason)
            return new BedSession(null, null, reason);
        SystemdBed bed;
        try
        {
            bed = SystemdBed.BootAsync(RepoLayout.Artifacts, BootTimeout).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
        {
            return new BedSession(null, null, $"the systemd bed did not boot: {e.Message}");
        }
        try
        {
            return new BedSession(bed, InsideBedProcess.Start(bed), null);
        }
        catch
        {
            bed.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Inside?.Dispose();
        _bed?.Dispose();
    }
}
