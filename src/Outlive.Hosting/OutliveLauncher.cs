using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Outlive.Hosting;

/// <summary>The <see cref="IOutliveLauncher"/> behind <c>AddOutlive()</c>.</summary>
internal sealed partial class OutliveLauncher(ChildRegistry registry, IOptionsMonitor<OutliveOptions> options, ILogger<OutliveLauncher> logger) : IOutliveLauncher
{
    public ChildRegistry Registry => registry;

    public async Task<LaunchedChild> StartAsync(DetachedStartInfo start, RegistrationOptions? registration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(start);
        try
        {
            LaunchedChild child = await registry.StartAsync(start, options.CurrentValue.Escape, registration, cancellationToken).ConfigureAwait(false);
            Started(child.Name, child.Pid, child.Strategy, child.Unit, child.Reason);
            return child;
        }
        catch (OutliveException e)
        {
            StartFailed(e, start.Program, e.Message);
            throw;
        }
    }

    public async Task<HandOffResult> HandOffAsync(DetachedStartInfo updater, HandOff then = HandOff.None, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(updater);
        HandOffResult result;
        try
        {
            result = await Launcher.HandOffAsync(updater, then, cancellationToken).ConfigureAwait(false);
        }
        catch (OutliveException e)
        {
            StartFailed(e, updater.Program, e.Message);
            throw;
        }
        LaunchedChild child = result.Updater;
        // Asked for and not done, or done without systemd: the caller's plan may rest on what did not happen.
        if ((then == HandOff.RestartOwnUnit && !result.RestartQueued) || child.Strategy == EscapeStrategy.Setsid)
            HandedOffWithout(updater.Program, child.Pid, child.Strategy, child.Unit, result.Reason);
        else
            HandedOff(updater.Program, child.Pid, child.Strategy, child.Unit, result.Reason);
        return result;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Started child {Name}: pid {Pid}, {Strategy}, unit {Unit}: {Reason}")]
    private partial void Started(string? name, int pid, EscapeStrategy strategy, string? unit, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not start {Program}: {Why}")]
    private partial void StartFailed(Exception exception, string program, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "Handed off to {Program}: pid {Pid}, {Strategy}, unit {Unit}: {Reason}")]
    private partial void HandedOff(string program, int pid, EscapeStrategy strategy, string? unit, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handed off to {Program}: pid {Pid}, {Strategy}, unit {Unit}, but: {Reason}")]
    private partial void HandedOffWithout(string program, int pid, EscapeStrategy strategy, string? unit, string reason);
}
