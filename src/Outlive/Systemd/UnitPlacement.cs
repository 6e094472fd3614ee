using System.Globalization;

namespace Outlive.Systemd;

/// <summary>
/// Where a cgroup path sits in systemd's tree, read the way cg_path_get_unit/cg_path_get_user_unit do:
/// slices nest (<c>a.slice/a-b.slice</c>), the first non-slice component is the unit, anything below it
/// is a cgroup the unit made itself (<c>Delegate=</c>) and still belongs to that unit. A path starting
/// with <c>/..</c> lies outside the reader's cgroup namespace and names no unit.
/// </summary>
/// <param name="CgroupPath">The path as read, e.g. <c>/system.slice/foo.service/worker</c>.</param>
/// <param name="Manager">System manager, or the user manager of <see cref="UserId"/>.</param>
/// <param name="UserId">For <see cref="ManagerKind.User"/>: whose manager; otherwise the uid of a <c>user-UID.slice</c> the unit is in, if any.</param>
/// <param name="Unit">The unit in <see cref="Manager"/>, e.g. <c>x.service</c>; null at the root or in a bare slice.</param>
/// <param name="Slice">The innermost slice around <see cref="Unit"/> (<c>-.slice</c> at the root).</param>
/// <param name="SystemUnit">The system manager's unit (for a user unit: <c>user@UID.service</c>).</param>
/// <param name="NestedPath">The part below the unit (<c>worker</c>), empty when the process is in the unit's own cgroup.</param>
internal sealed record UnitPlacement(
    string CgroupPath,
    ManagerKind Manager,
    uint? UserId,
    string? Unit,
    string Slice,
    string? SystemUnit,
    string NestedPath)
{
    /// <summary>The placement of <paramref name="pid"/>; null when its cgroup cannot be read.</summary>
    public static UnitPlacement? TryRead(int pid) => ProcCgroup.TryRead(pid) is { } path ? FromCgroupPath(path) : null;

    public static UnitPlacement FromCgroupPath(string cgroupPath)
    {
        string[] parts = cgroupPath.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Unescape).ToArray();
        (string? systemUnit, string systemSlice, int unitIndex) = FindUnit(parts, 0);
        uint? sliceUid = UidOfUserSlice(systemSlice);
        if (systemUnit is null)
            return new UnitPlacement(cgroupPath, ManagerKind.System, sliceUid, null, systemSlice, null, "");

        if (UidOfUserManager(systemUnit) is uint uid && unitIndex + 1 < parts.Length)
        {
            (string? userUnit, string userSlice, int userIndex) = FindUnit(parts, unitIndex + 1);
            // Below user@UID.service every unit is the user manager's, its own process included (init.scope).
            if (userUnit is not null)
                return new UnitPlacement(cgroupPath, ManagerKind.User, uid, userUnit, userSlice, systemUnit, Rest(parts, userIndex + 1));
        }
        return new UnitPlacement(cgroupPath, ManagerKind.System, sliceUid, systemUnit, systemSlice, systemUnit, Rest(parts, unitIndex + 1));
    }

    /// <summary>True when the process sits in a cgroup below its unit's own (a delegated subtree).</summary>
    public bool IsNested => NestedPath.Length > 0;

    static (string? Unit, string Slice, int Index) FindUnit(string[] parts, int start)
    {
        string slice = "-.slice";
        for (int i = start; i < parts.Length; i++)
        {
            if (!UnitName.IsValid(parts[i]))
                return (null, slice, i);
            if (UnitName.TypeOf(parts[i]) != "slice")
                return (parts[i], slice, i);
            slice = parts[i];
        }
        return (null, slice, parts.Length);
    }

    static string Rest(string[] parts, int from) => string.Join('/', parts.Skip(from));

    /// <summary>systemd prefixes a component with '_' when it would clash with a kernel file (cg_escape).</summary>
    static string Unescape(string component) => component.StartsWith('_') ? component[1..] : component;

    static uint? UidOfUserManager(string unit) => ParseUid(unit, "user@", ".service");

    static uint? UidOfUserSlice(string slice) => ParseUid(slice, "user-", ".slice");

    static uint? ParseUid(string name, string prefix, string suffix) =>
        name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(suffix, StringComparison.Ordinal)
        && uint.TryParse(name.AsSpan(prefix.Length, name.Length - prefix.Length - suffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out uint uid)
            ? uid
            : null;
}
