using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Outlive.Hosting;

/// <summary>
/// The registered children's state: Healthy when every child runs, Degraded when one does not (gone, or its state
/// unknown), the registration's failure status when a child of <see cref="OutliveOptions.RequiredChildren"/> does not
/// run or the registry cannot be read. The data maps each child's name to its state.
/// </summary>
internal sealed class OutliveChildrenHealthCheck(ChildRegistry registry, IOptionsMonitor<OutliveOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        IReadOnlyList<RegisteredChild> children;
        try
        {
            children = await registry.ListAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OutliveException e)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"the registry in {registry.StateDirectory} cannot be read: {e.Message}", e);
        }
        var data = children.ToDictionary(c => c.Name, c => (object)c.State.ToString());
        var running = children.Where(c => c.State == ChildState.Running).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        string[] missing = [.. options.CurrentValue.RequiredChildren.Where(name => !running.Contains(name))];
        if (missing.Length > 0)
            return new HealthCheckResult(context.Registration.FailureStatus, $"required children not running: {Describe(missing, children)}", data: data);
        string[] stopped = [.. children.Where(c => c.State != ChildState.Running).Select(c => c.Name)];
        if (stopped.Length > 0)
            return HealthCheckResult.Degraded($"{stopped.Length} of {children.Count} children not running: {Describe(stopped, children)}", data: data);
        return HealthCheckResult.Healthy($"{children.Count} children running", data);
    }

    private static string Describe(IEnumerable<string> names, IReadOnlyList<RegisteredChild> children) =>
        string.Join(", ", names.Select(name => children.FirstOrDefault(c => c.Name == name) is { } child ? $"{name} ({child.State.ToString().ToLowerInvariant()})" : $"{name} (not registered)"));
}
