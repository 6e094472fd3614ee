namespace Outlive.SystemdBed;

/// <summary>Polling for something the bed's systemd does in its own time (a unit starting, a file appearing).</summary>
internal static class BedWait
{
    /// <summary>Polls <paramref name="condition"/> every 100 ms; fails the test after 90 s.</summary>
    internal static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the bed");
            await Task.Delay(100);
        }
    }
}
