using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Outlive.Hosting.Tests;

/// <summary>AddOutlive() in a host: what it registers, and options from configuration or code.</summary>
public sealed class RegistrationTests : IDisposable
{
    private readonly Scratch _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void AddOutlive_registers_one_launcher_and_one_registry_however_often_it_is_called()
    {
        using IHost host = TestHost.Build(new Dictionary<string, string?>(), builder =>
        {
            builder.Services.AddOutlive(o => o.StateDirectory = _scratch.StateDirectory);
            builder.Services.AddOutlive();
            builder.Services.AddHealthChecks().AddOutliveChildren();
        });

        var launcher = host.Services.GetRequiredService<IOutliveLauncher>();
        Assert.Same(launcher, host.Services.GetRequiredService<IOutliveLauncher>());
        Assert.Same(host.Services.GetRequiredService<ChildRegistry>(), launcher.Registry);
        Assert.Equal(_scratch.StateDirectory, launcher.Registry.StateDirectory);
        Assert.Single(host.Services.GetServices<IOutliveLauncher>());
    }

    [Fact]
    public void Options_bind_from_the_Outlive_section_of_the_configuration()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Outlive:StateDirectory"] = _scratch.StateDirectory,
            ["Outlive:Strategy"] = "Scope",
            ["Outlive:Slice"] = "updates.slice",
            ["Outlive:RequiredChildren:0"] = "worker",
            ["Outlive:RequiredChildren:1"] = "indexer",
        };

        using IHost host = TestHost.Build(settings, builder => builder.Services.AddOutlive(builder.Configuration.GetSection("Outlive")));

        OutliveOptions options = host.Services.GetRequiredService<IOptions<OutliveOptions>>().Value;
        Assert.Equal((_scratch.StateDirectory, EscapeStrategy.Scope, "updates.slice"), (options.StateDirectory, options.Strategy, options.Slice));
        Assert.Equal(["worker", "indexer"], options.RequiredChildren);
        Assert.Equal(_scratch.StateDirectory, host.Services.GetRequiredService<ChildRegistry>().StateDirectory);
    }

    [Fact]
    public void Code_configures_options_after_configuration_so_it_has_the_last_word()
    {
        var settings = new Dictionary<string, string?> { ["Outlive:Strategy"] = "Scope", ["Outlive:Slice"] = "a.slice" };

        using IHost host = TestHost.Build(settings, builder => builder.Services
            .AddOutlive(builder.Configuration.GetSection("Outlive"))
            .AddOutlive(o => o.Strategy = EscapeStrategy.Setsid));

        OutliveOptions options = host.Services.GetRequiredService<IOptions<OutliveOptions>>().Value;
        Assert.Equal((EscapeStrategy.Setsid, "a.slice"), (options.Strategy, options.Slice));
    }

    [Fact]
    public void Without_configuration_the_defaults_are_auto_and_the_users_registry()
    {
        using IHost host = TestHost.Build(new Dictionary<string, string?>(), builder => builder.Services.AddOutlive());

        OutliveOptions options = host.Services.GetRequiredService<IOptions<OutliveOptions>>().Value;
        Assert.Equal((EscapeStrategy.Auto, null, null), (options.Strategy, options.StateDirectory, options.Slice));
        Assert.Empty(options.RequiredChildren);
        Assert.Equal(new ChildRegistry().StateDirectory, host.Services.GetRequiredService<ChildRegistry>().StateDirectory);
    }
}
