namespace Outlive;

/// <summary>What <see cref="ChildRegistry.StopAsync(string, int, TimeSpan?, bool, CancellationToken)"/> did.</summary>
public enum StopOutcome
{
    /// <summary>It exited after the signal, within the timeout.</summary>
    Stopped,

    /// <summary>It outlived the timeout and was SIGKILLed.</summary>
    Killed,

    /// <summary>It still runs (no kill was asked for, or even SIGKILL did not end it in time); the entry is kept.</summary>
    StillRunning,

    /// <summary>It had exited already (or its PID names another process now); nothing was signalled.</summary>
    AlreadyGone,
}
