using Outlive.Registry;

namespace Outlive;

/// <summary>
/// A child in the registry (<c>STATE_DIR/NAME.json</c>) and its state when it was asked. <c>outlive ps --json</c>
/// prints the same fields.
/// </summary>
public sealed class RegisteredChild
{
    internal RegisteredChild(RegistryEntry entry, ChildState state, ExitStatus? exit = null, (int Pid, int Count)? unitProcesses = null)
    {
        Entry = entry;
        State = state;
        Exit = exit;
        CurrentPid = state != ChildState.Running ? null : unitProcesses?.Pid ?? entry.Pid;
        ProcessCount = unitProcesses?.Count;
    }

    internal RegistryEntry Entry { get; }

    public string Name => Entry.Name;

    /// <summary>The PID the child was started with (see <see cref="CurrentPid"/> for the one that runs now).</summary>
    public int Pid => Entry.Pid;

    /// <summary>
    /// The process that stands for the child now, when it runs: for a scope or service child, its unit's main process,
    /// or its lowest PID when the first process exited and its forks live on; for a setsid child, <see cref="Pid"/>.
    /// </summary>
    public int? CurrentPid { get; }

    /// <summary>How many processes a running scope or service child's unit holds; null for a setsid child or when unknown.</summary>
    public int? ProcessCount { get; }

    /// <summary>Pid + start time + boot id of the process that was started.</summary>
    public ProcessIdentity Identity => Entry.Identity;

    public EscapeStrategy Strategy => Entry.Strategy;

    /// <summary>The manager that owns <see cref="Unit"/>; null for a setsid child.</summary>
    public ManagerKind? Manager => Entry.Unit is null ? null : SystemdChildUnits.ManagerOf(Entry);

    /// <summary>The transient scope or service; null for a setsid child.</summary>
    public string? Unit => Entry.Unit;

    /// <summary>argv as it was asked for, argv[0] first.</summary>
    public IReadOnlyList<string> Command => Entry.Command;

    public string WorkingDirectory => Entry.Cwd;

    public string? StandardOutputPath => Entry.StdoutPath;

    public string? StandardErrorPath => Entry.StderrPath;

    public string? PidFile => Entry.PidFile;

    public uint StartedByUid => Entry.StartedByUid;

    public DateTime StartedAtUtc => Entry.StartedAtUtc;

    /// <summary>Running, gone or unknown, as of the call that returned this object.</summary>
    public ChildState State { get; }

    /// <summary>
    /// How a gone child ended, when that is known: systemd records it for a service child (until it is pruned). Outlive
    /// does not wait for setsid and scope children, so theirs is not known (null).
    /// </summary>
    public ExitStatus? Exit { get; }

    public override string ToString() => $"{Name} (pid {Pid}{(Unit is null ? "" : ", " + Unit)}): {State}";
}
