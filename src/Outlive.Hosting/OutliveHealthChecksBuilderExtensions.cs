using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Outlive;
using Outlive.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The health check of Outlive's registered children.</summary>
public static class OutliveHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check of the registered children: Healthy when all run, Degraded when one does not, and
    /// <paramref name="failureStatus"/> (Unhealthy when null) when a child of <see cref="OutliveOptions.RequiredChildren"/>
    /// does not run or the registry cannot be read. Adds Outlive itself if <c>AddOutlive()</c> was not called.
    /// </summary>
    public static IHealthChecksBuilder AddOutliveChildren(
        this IHealthChecksBuilder builder, string name = "outlive-children", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        OutliveServiceCollectionExtensions.AddCore(builder.Services);
        return builder.Add(new HealthCheckRegistration(
            name,
            provider => new OutliveChildrenHealthCheck(provider.GetRequiredService<ChildRegistry>(), provider.GetRequiredService<IOptionsMonitor<OutliveOptions>>()),
            failureStatus,
            tags));
    }
}
