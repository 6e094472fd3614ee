using Outlive;
using Outlive.Hosting;

// A worker service (Type=notify through UseSystemd) that updates itself: when the trigger file appears, it hands off
// to the updater, which stops this service, swaps its app folder for the staged one and starts it again.
HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.Services.AddSystemd();
builder.Services.AddOutlive(builder.Configuration.GetSection("Outlive"));
builder.Services.Configure<SelfUpdateOptions>(builder.Configuration.GetSection("SelfUpdate"));
builder.Services.AddHostedService<UpdateWatcher>();
builder.Build().Run();

/// <summary>Where the update comes from and where this service says which version runs.</summary>
internal sealed class SelfUpdateOptions
{
    /// <summary>Its appearance asks for an update; it holds the folder of the staged new version.</summary>
    public string Trigger { get; set; } = "/run/self-updating/update-now";

    /// <summary>"VERSION PID" once this service runs; the version is version.txt in the app folder.</summary>
    public string Status { get; set; } = "/run/self-updating/status";

    public string Updater { get; set; } = "/opt/self-updating/updater/SelfUpdatingService.Updater";

    /// <summary>The updater's output: it outlives this service, so it has a file of its own.</summary>
    public string UpdaterLog { get; set; } = "/var/log/self-updating-updater.log";
}

internal sealed partial class UpdateWatcher(IOutliveLauncher outlive, Microsoft.Extensions.Options.IOptions<SelfUpdateOptions> options, ILogger<UpdateWatcher> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        SelfUpdateOptions o = options.Value;
        string app = AppContext.BaseDirectory.TrimEnd('/');
        string version = File.ReadAllText(Path.Combine(app, "version.txt")).Trim();
        File.WriteAllText(o.Status, $"{version} {Environment.ProcessId}\n");
        Running(version, app);
        while (!stoppingToken.IsCancellationRequested)
        {
            if (File.Exists(o.Trigger))
            {
                string staged = File.ReadAllText(o.Trigger).Trim();
                File.Delete(o.Trigger);
                HandOffResult handOff = await outlive.HandOffAsync(new DetachedStartInfo
                {
                    Program = o.Updater,
                    Arguments = [staged, app],
                    StandardOutput = OutputTarget.AppendToFile(o.UpdaterLog),
                    StandardError = OutputTarget.AppendToFile(o.UpdaterLog),
                }, HandOff.None, stoppingToken);
                HandedOff(staged, handOff.Updater.Pid);
                // The updater stops this service next: nothing more to do here than to wait for that.
                return;
            }
            await Task.Delay(100, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Version {Version} runs from {App}")]
    private partial void Running(string version, string app);

    [LoggerMessage(Level = LogLevel.Information, Message = "Update to {Staged} handed off to the updater, pid {Pid}")]
    private partial void HandedOff(string staged, int pid);
}
