using Outlive.Systemd;

namespace Outlive.SystemdBed.Matrix;

/// <summary>What happens to the service's main process (exectest) after it started its child.</summary>
internal enum ParentAction { Stop, Restart, KillMain9, KillMainInt }

/// <summary>Where a surviving child is expected to live.</summary>
internal enum ChildHome { ServiceCgroup, OwnUnit }

/// <summary>Who a surviving child's parent is expected to be.</summary>
internal enum ChildParent { Init, OriginalMain }

/// <summary>The fate a cell expects for the child: dead, or alive with a given parent and cgroup.</summary>
internal sealed record ExpectedFate(bool Survives, ChildParent Parent = ChildParent.Init, ChildHome Home = ChildHome.ServiceCgroup)
{
    public static readonly ExpectedFate Killed = new(false);
}

/// <summary>
/// A column of the matrix: an exectest --method and what systemd 252 does to its child per KillMode and
/// action. An escape strategy (scope, service, auto) adds itself here with its own expectations.
/// </summary>
internal sealed record ChildMethod(string Name, Func<KillMode, ParentAction, ExpectedFate> Expect)
{
    /// <summary>The matrix's columns, in table order.</summary>
    public static readonly IReadOnlyList<ChildMethod> All =
    [
        new("plain", StaysInTheServiceCgroup),
        new("setsid", StaysInTheServiceCgroup),
        new("scope", InItsOwnScope),
        new("service", (_, _) => new(true, ChildParent.Init, ChildHome.OwnUnit)),
        new("auto", (killMode, action) => killMode is KillMode.ControlGroup or KillMode.Mixed
            ? InItsOwnScope(killMode, action)
            : StaysInTheServiceCgroup(killMode, action)),
    ];

    /// <summary>
    /// Outlive's scope escape: the child is exectest's own child, in a scope of its own, so every action
    /// leaves it alive; it is reparented to PID 1 when exectest dies (with none, stop/restart leave exectest up).
    /// </summary>
    private static ExpectedFate InItsOwnScope(KillMode killMode, ParentAction action) =>
        killMode == KillMode.None && action is ParentAction.Stop or ParentAction.Restart
            ? new(true, ChildParent.OriginalMain, ChildHome.OwnUnit)
            : new(true, ChildParent.Init, ChildHome.OwnUnit);

    /// <summary>
    /// As observed on systemd 252: a child that stays in the service's cgroup shares its fate whatever its
    /// session - killed unless KillMode is process or none. With none, stop/restart do not even signal the
    /// main process, so the child's parent is still the original main process.
    /// </summary>
    private static ExpectedFate StaysInTheServiceCgroup(KillMode killMode, ParentAction action) => killMode switch
    {
        KillMode.ControlGroup or KillMode.Mixed => ExpectedFate.Killed,
        KillMode.None when action is ParentAction.Stop or ParentAction.Restart => new(true, ChildParent.OriginalMain),
        _ => new(true),
    };
}

/// <summary>One cell: a unit with this KillMode whose main process starts its child by this method, then this action.</summary>
internal sealed record MatrixCell(KillMode KillMode, ChildMethod Method, ParentAction Action)
{
    public static IEnumerable<MatrixCell> All =>
        from killMode in Enum.GetValues<KillMode>()
        from method in ChildMethod.All
        from action in Enum.GetValues<ParentAction>()
        select new MatrixCell(killMode, method, action);

    public string UnitName => $"matrix-{KillModeValue}-{Method.Name}-{ActionSlug}.service";

    /// <summary>exectest's --tag: its state file is /run/exectest/TAG.json.</summary>
    public string Tag => UnitName[..^".service".Length];

    public ExpectedFate Expected => Method.Expect(KillMode, Action);

    public string KillModeValue => KillMode.ToSystemdString();

    public string ActionText => Action switch
    {
        ParentAction.Stop => "systemctl stop",
        ParentAction.Restart => "systemctl restart",
        ParentAction.KillMain9 => "kill -9 <main pid>",
        ParentAction.KillMainInt => "kill -INT <main pid>",
        _ => throw new ArgumentOutOfRangeException(nameof(Action)),
    };

    private string ActionSlug => Action switch
    {
        ParentAction.Stop => "stop",
        ParentAction.Restart => "restart",
        ParentAction.KillMain9 => "kill9",
        ParentAction.KillMainInt => "killint",
        _ => throw new ArgumentOutOfRangeException(nameof(Action)),
    };

    public override string ToString() => $"KillMode={KillModeValue}, {Method.Name} child, {ActionText}";
}
