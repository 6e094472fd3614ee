namespace Outlive.Hosting;

/// <summary>
/// Outlive's settings for a host, bindable from configuration (<c>builder.Configuration.GetSection("Outlive")</c>):
/// <code>"Outlive": { "StateDirectory": "/var/lib/myservice/outlive", "Strategy": "Auto", "RequiredChildren": [ "worker" ] }</code>
/// </summary>
public sealed class OutliveOptions
{
    /// <summary>
    /// The registry of the children this host starts (<see cref="ChildRegistry.StateDirectory"/>); null for Outlive's default,
    /// which the user's other programs share. A service does best with its own, e.g. under its StateDirectory=.
    /// </summary>
    public string? StateDirectory { get; set; }

    /// <summary>How children escape (<see cref="EscapeOptions.Strategy"/>); <see cref="EscapeStrategy.Auto"/> picks per place.</summary>
    public EscapeStrategy Strategy { get; set; } = EscapeStrategy.Auto;

    /// <summary>The slice a child's transient unit goes in (<see cref="EscapeOptions.Slice"/>); the manager's default when null.</summary>
    public string? Slice { get; set; }

    /// <summary>
    /// Registry names the health check requires running: one that is not makes it report the registration's failure
    /// status (Unhealthy by default). Any other child that is not running only makes it Degraded.
    /// </summary>
    public IList<string> RequiredChildren { get; set; } = [];

    internal EscapeOptions Escape => new() { Strategy = Strategy, Slice = Slice };
}
