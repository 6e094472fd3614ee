using Outlive.Systemd;
using Outlive.Systemd.DBus;

namespace Outlive.Tests.Support;

/// <summary>Residences made from synthetic facts, for the planner's and doctor's I/O-free decisions.</summary>
internal static class Homes
{
    internal static readonly UnitPlacement Service = UnitPlacement.FromCgroupPath("/system.slice/app.service");
    internal static readonly UnitPlacement UserService = UnitPlacement.FromCgroupPath("/user.slice/user-1500.slice/user@1500.service/app.slice/app.service");
    internal static readonly UnitPlacement Session = UnitPlacement.FromCgroupPath("/user.slice/user-1500.slice/session-c3.scope");
    internal static readonly UnitPlacement Init = UnitPlacement.FromCgroupPath("/init.scope");

    internal static readonly LogindPolicy KeepsSessions = LogindPolicy.Default;
    internal static readonly LogindPolicy KillsSessions = LogindPolicy.Default with { KillUserProcesses = true };

    /// <summary>Root (uid 0) unless <paramref name="uid"/> says otherwise; a non-root user is called u1.</summary>
    internal static Residence At(
        UnitPlacement? placement, KillMode? killMode = null, uint uid = 0, bool booted = true, bool? systemAllows = null,
        bool? lingers = null, bool userManager = false, LogindPolicy? logout = null) =>
        Residence.Of(booted, placement, killMode, uid, uid == 0 ? "root" : "u1") with
        {
            SystemManagerAllows = uid == 0 ? true : systemAllows,
            Lingers = uid == 0 ? null : lingers,
            UserManagerReachable = userManager || lingers == true,
            LogoutPolicy = logout,
        };
}
