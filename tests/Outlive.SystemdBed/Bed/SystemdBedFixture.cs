namespace Outlive.SystemdBed.Bed;

/// <summary>
/// One bed for a test collection. Where no bed can boot, its tests skip with the reason - except under
/// CI=true, where that is an error: CI must not go green by skipping the only tests of real systemd.
/// </summary>
public sealed class SystemdBedFixture : IAsyncLifetime
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(90);
    private SystemdBed? _bed;
    private string _unavailable = "the bed was not booted";

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The booted bed; skips the calling test when there is none.</summary>
    public SystemdBed Bed
    {
        get
        {
            if (_bed is null)
                Assert.Skip(_unavailable);
            return _bed;
        }
    }

    /// <summary>The bed, or null when there is none (for fixtures that must not skip).</summary>
    public SystemdBed? BedOrNull => _bed;

    public async ValueTask InitializeAsync()
    {
        string? reason = SystemdBed.WhyCannotBoot();
        if (reason is null)
        {
            try
            {
                _bed = await SystemdBed.BootAsync(RepoLayout.Artifacts, BootTimeout);
                // Shown with the run's output (and in docs/survival-matrix.md): boot time is worth watching.
                TestContext.Current.SendDiagnosticMessage($"systemd bed: booted {_bed.SystemdVersion} in {_bed.BootTime.TotalSeconds:F2} s (host pid {_bed.HostPid}); " +
                    $"failed units: [{string.Join(", ", _bed.FailedUnitsAtBoot)}]; leftover beds removed: {_bed.RemovedLeftovers.Count}");
                return;
            }
            catch (Exception e) when (!IsCi)
            {
                reason = $"the systemd bed did not boot: {e.Message}";
            }
        }
        if (IsCi)
            throw new InvalidOperationException($"CI=true but {reason}");
        _unavailable = reason!;
    }

    public ValueTask DisposeAsync()
    {
        _bed?.Dispose();
        return ValueTask.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class SystemdBedCollection : ICollectionFixture<SystemdBedFixture>
{
    public const string Name = "systemd bed";
}
