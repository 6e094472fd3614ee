using Outlive.Interop;

namespace Outlive.Escape;

/// <summary>
/// A test hook: with <c>OUTLIVE_FAULT=POINT</c> in its environment, a process SIGKILLs itself when a start reaches
/// POINT, the way the OOM killer or a <c>kill -9</c> would; with <c>OUTLIVE_FAULT=fail:POINT</c> the start fails
/// there with an I/O error, the way a full disk would; with <c>OUTLIVE_FAULT=pause:POINT</c> it waits there 5 s (as if
/// systemd were slow), cancellably, so a test can send SIGINT or SIGTERM in the middle of that step. The kill tests use
/// it to stop <c>outlive run</c> at each step of a start and check that nothing is left running unregistered.
/// </summary>
internal static class FaultPoint
{
    private static readonly string? s_point = Environment.GetEnvironmentVariable("OUTLIVE_FAULT");

    /// <summary>The points, in the order a start passes them (README "Start integrity").</summary>
    internal static readonly string[] All = ["reserved", "held", "planned", "unit-started", "committed", "released"];

    internal static async Task HitAsync(string point, CancellationToken cancellationToken)
    {
        if (s_point is null)
            return;
        if (s_point == point)
            Libc.kill(Environment.ProcessId, Libc.SIGKILL);
        if (s_point == "fail:" + point)
            throw new OutliveIOException($"injected failure at '{point}' (OUTLIVE_FAULT)");
        if (s_point == "pause:" + point)
            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
    }
}
