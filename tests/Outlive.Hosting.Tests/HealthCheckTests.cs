using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Outlive.Hosting.Tests;

/// <summary>The children health check against real children in a registry of the test's own.</summary>
public sealed class HealthCheckTests : IDisposable
{
    private readonly Scratch _scratch = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _scratch.Dispose();

    private IHost Build(params string[] required) => TestHost.Build(new Dictionary<string, string?>(), builder =>
    {
        builder.Services.AddOutlive(o =>
        {
            o.StateDirectory = _scratch.StateDirectory;
            o.RequiredChildren = required;
        });
        builder.Services.AddHealthChecks().AddOutliveChildren(tags: ["outlive"]);
    });

    private static async Task<HealthReportEntry> CheckAsync(IHost host) =>
        (await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Ct)).Entries["outlive-children"];

    private static async Task<LaunchedChild> StartSleeperAsync(IHost host, string name) =>
        await host.Services.GetRequiredService<IOutliveLauncher>().StartAsync(
            new DetachedStartInfo { Program = "sleep", Arguments = ["300"] }, new RegistrationOptions(Name: name), Ct);

    private static async Task KillAsync(LaunchedChild child)
    {
        System.Diagnostics.Process.GetProcessById(child.Pid).Kill();
        Assert.True(await TestHost.UntilAsync(() => !child.Identity!.IsAlive(), Ct), $"pid {child.Pid} still runs 10 s after SIGKILL");
    }

    [Fact(Timeout = 30_000)]
    public async Task No_children_is_healthy()
    {
        using IHost host = Build();

        HealthReportEntry entry = await CheckAsync(host);

        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal(["outlive"], entry.Tags);
    }

    [Fact(Timeout = 30_000)]
    public async Task Running_children_are_healthy_and_named_in_the_data()
    {
        using IHost host = Build("worker");
        LaunchedChild child = await StartSleeperAsync(host, "worker");
        try
        {
            HealthReportEntry entry = await CheckAsync(host);

            Assert.Equal(HealthStatus.Healthy, entry.Status);
            Assert.Equal("Running", entry.Data["worker"]);
        }
        finally
        {
            await KillAsync(child);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_child_that_died_makes_it_degraded()
    {
        using IHost host = Build();
        LaunchedChild child = await StartSleeperAsync(host, "helper");

        await KillAsync(child);
        HealthReportEntry entry = await CheckAsync(host);

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Equal("Gone", entry.Data["helper"]);
        Assert.Contains("helper (gone)", entry.Description, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_required_child_that_died_makes_it_unhealthy()
    {
        using IHost host = Build("worker");
        LaunchedChild child = await StartSleeperAsync(host, "worker");

        await KillAsync(child);
        HealthReportEntry entry = await CheckAsync(host);

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("worker (gone)", entry.Description, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_required_child_that_was_never_started_makes_it_unhealthy()
    {
        using IHost host = Build("worker");

        HealthReportEntry entry = await CheckAsync(host);

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("worker (not registered)", entry.Description, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_registry_that_cannot_be_read_is_the_failure_status_with_the_reason()
    {
        // A symlink as the state directory: the registry refuses it (someone else could point it anywhere).
        string link = Path.Combine(_scratch.Path, "link");
        File.CreateSymbolicLink(link, Directory.CreateDirectory(Path.Combine(_scratch.Path, "real")).FullName);
        using IHost host = TestHost.Build(new Dictionary<string, string?>(), builder =>
        {
            builder.Services.AddOutlive(o => o.StateDirectory = link);
            builder.Services.AddHealthChecks().AddOutliveChildren(failureStatus: HealthStatus.Degraded);
        });

        HealthReportEntry entry = await CheckAsync(host);

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Contains(link, entry.Description, StringComparison.Ordinal);
        Assert.IsAssignableFrom<OutliveException>(entry.Exception);
    }
}
