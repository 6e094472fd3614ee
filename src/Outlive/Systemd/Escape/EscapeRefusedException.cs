namespace Outlive.Systemd.Escape;

/// <summary>No strategy would keep the child alive here; nothing was started.</summary>
public sealed class EscapeRefusedException(string message) : OutliveException(message)
{
    public override int ExitCode => ExitCodes.EscapeRefused;
}
