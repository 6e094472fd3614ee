using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Outlive;
using Outlive.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Outlive in a host: <see cref="IOutliveLauncher"/>, the <see cref="ChildRegistry"/> and <see cref="OutliveOptions"/>.</summary>
public static class OutliveServiceCollectionExtensions
{
    /// <summary>Adds Outlive with its default options, or whatever configuration is bound to <see cref="OutliveOptions"/>.</summary>
    public static IServiceCollection AddOutlive(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddCore(services);
        return services;
    }

    /// <summary>Adds Outlive; <paramref name="configure"/> sets its options (after any configuration bound to them).</summary>
    public static IServiceCollection AddOutlive(this IServiceCollection services, Action<OutliveOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOutlive().Configure(configure);
        return services;
    }

    /// <summary>Adds Outlive with its options bound from <paramref name="configuration"/>, e.g. <c>builder.Configuration.GetSection("Outlive")</c>.</summary>
    public static IServiceCollection AddOutlive(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOutlive().Configure<OutliveOptions>(configuration);
        return services;
    }

    /// <summary>The services themselves, once however often Outlive is added (the health check adds them too).</summary>
    internal static void AddCore(IServiceCollection services)
    {
        services.AddOptions();
        // The state directory is read once: a registry does not move while the host runs.
        services.TryAddSingleton(provider => new ChildRegistry(provider.GetRequiredService<IOptions<OutliveOptions>>().Value.StateDirectory));
        services.TryAddSingleton<IOutliveLauncher, OutliveLauncher>();
    }
}
