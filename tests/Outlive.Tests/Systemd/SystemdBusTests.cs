using Outlive.Systemd;
using Outlive.Systemd.DBus;

namespace Outlive.Tests.Systemd;

public class SystemdBusTests
{
    static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void The_system_bus_defaults_to_the_well_known_socket()
    {
        Assert.Equal("unix:path=/run/dbus/system_bus_socket", SystemdBus.System(Env()).Address);
        Assert.Equal("unix:path=/x", SystemdBus.System(Env(("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/x"))).Address);
    }

    [Fact]
    public void The_user_bus_comes_from_the_session_address_else_the_runtime_dir()
    {
        Assert.Equal("unix:path=/s", SystemdBus.User(Env(("DBUS_SESSION_BUS_ADDRESS", "unix:path=/s"), ("XDG_RUNTIME_DIR", "/run/user/1500"))).Address);
        var bus = SystemdBus.User(Env(("XDG_RUNTIME_DIR", "/run/user/1500")));
        Assert.Equal("unix:path=/run/user/1500/bus", bus.Address);
        Assert.Equal(ManagerKind.User, bus.Manager);
    }

    [Fact]
    public void Without_either_variable_the_user_bus_is_the_users_runtime_socket_when_it_exists_as_for_a_User_service()
    {
        var bus = SystemdBus.User(Env(), uid: 1500, exists: path => path == "/run/user/1500/bus");
        Assert.Equal("unix:path=/run/user/1500/bus", bus.Address);
    }

    [Fact]
    public void Without_any_user_bus_variable_systemd_is_unavailable()
    {
        var e = Assert.Throws<SystemdUnavailableException>(() => SystemdBus.User(Env(), uid: 1000, exists: _ => false));
        Assert.Contains("XDG_RUNTIME_DIR", e.Message);
        Assert.Equal(ExitCodes.SystemdUnavailable, ExitCodes.For(e));
    }

    [Fact(Timeout = 120_000)]
    public async Task Connecting_to_a_socket_nobody_listens_on_reports_systemd_unavailable()
    {
        using var client = new DBusClient(new SystemdBus(ManagerKind.User, "unix:path=/nonexistent/outlive-test-bus"));
        var e = await Assert.ThrowsAsync<SystemdUnavailableException>(() => client.ConnectAsync(TestContext.Current.CancellationToken));
        Assert.Contains("/nonexistent/outlive-test-bus", e.Message);
    }
}

public class SystemdErrorsTests
{
    [Theory]
    [InlineData("org.freedesktop.DBus.Error.InteractiveAuthorizationRequired")]
    [InlineData("org.freedesktop.DBus.Error.AccessDenied")]
    public void A_refusal_on_the_system_bus_says_how_to_fix_it(string errorName)
    {
        var e = Assert.IsType<PermissionDeniedException>(SystemdErrors.Map(errorName, "Interactive authentication required.", "StartTransientUnit", "x.scope", ManagerKind.System));
        Assert.Contains("needs a polkit rule", e.Message);
        Assert.Contains("org.freedesktop.systemd1.manage-units", e.Message);
        Assert.Equal(ExitCodes.PermissionDenied, ExitCodes.For(e));
    }

    [Fact]
    public void A_taken_name_is_a_conflict_naming_the_unit()
    {
        var e = Assert.IsType<UnitExistsException>(SystemdErrors.Map("org.freedesktop.systemd1.UnitExists", "Unit x.scope already exists.", "StartTransientUnit", "x.scope", ManagerKind.System));
        Assert.Equal("x.scope", e.Unit);
        Assert.Equal(ExitCodes.Conflict, ExitCodes.For(e));
    }

    [Fact]
    public void A_missing_systemd_on_the_bus_is_unavailable()
    {
        Assert.IsType<SystemdUnavailableException>(SystemdErrors.Map("org.freedesktop.DBus.Error.ServiceUnknown", "The name org.freedesktop.systemd1 was not provided", "GetUnit", "x.service", ManagerKind.User));
    }

    [Fact]
    public void Any_other_error_keeps_its_name()
    {
        var e = Assert.IsType<SystemdRequestRejectedException>(SystemdErrors.Map("org.freedesktop.DBus.Error.InvalidArgs", "Unknown assignment Foo", "StartTransientUnit", "x.service", ManagerKind.System));
        Assert.Equal("org.freedesktop.DBus.Error.InvalidArgs", e.ErrorName);
        Assert.Contains("Unknown assignment Foo", e.Message);
    }

    [Fact]
    public void A_failed_job_names_the_unit_and_the_result()
    {
        var e = new SystemdJobFailedException("x.service", "failed", ManagerKind.System);
        Assert.Contains("x.service", e.Message);
        Assert.Contains("'failed'", e.Message);
        Assert.Equal(ExitCodes.Conflict, ExitCodes.For(e));
    }
}

public class UnitPropertyTests
{
    [Fact]
    public void Exec_start_doubles_dollars_so_systemd_does_not_expand_them()
    {
        var exec = UnitProperty.ExecStart("/bin/echo", ["echo", "$HOME", "a$$b"]);
        Assert.Equal("a(sasb)", exec.Signature);
        Assert.Equal(["echo", "$$HOME", "a$$$$b"], Assert.IsType<ExecStartProperty>(exec).Argv);
    }

    [Fact]
    public void Output_files_go_to_systemd_as_fds_under_its_bus_property_names()
    {
        Assert.Equal("StandardOutputFileDescriptor", UnitProperty.StandardOutputFileDescriptor(1).Name);
        Assert.Equal("StandardErrorFileDescriptor", UnitProperty.StandardErrorFileDescriptor(2).Name);
        Assert.Equal("h", UnitProperty.StandardOutputFileDescriptor(1).Signature);
        Assert.Equal("au", UnitProperty.Pids(1, 2).Signature);
    }

    [Fact]
    public void A_slice_property_refuses_anything_but_a_slice()
    {
        Assert.Throws<InvalidNameException>(() => UnitProperty.Slice("not a slice"));
        Assert.Throws<InvalidNameException>(() => UnitProperty.Slice("system.service"));
        Assert.Equal("Slice", UnitProperty.Slice("outlive.slice").Name);
    }

    [Fact]
    public void An_unknown_restart_policy_is_refused()
    {
        Assert.Throws<ArgumentException>(() => UnitProperty.Restart("sometimes"));
    }
}

public class SystemdEnumsTests
{
    [Theory]
    [InlineData("control-group", "control-group")]
    [InlineData("mixed", "mixed")]
    [InlineData("process", "process")]
    [InlineData("none", "none")]
    public void Kill_modes_are_spelled_as_systemd_spells_them_both_ways(string killMode, string spelled)
    {
        KillMode mode = SystemdEnums.ParseKillMode(killMode)!.Value;
        Assert.Equal(spelled, mode.ToSystemdString());
        Assert.Equal(mode, SystemdEnums.ParseKillMode(spelled));
    }

    [Fact]
    public void An_unknown_kill_mode_parses_as_null()
    {
        Assert.Null(SystemdEnums.ParseKillMode("gentle"));
        Assert.Equal("inactive-or-failed", CollectMode.InactiveOrFailed.ToSystemdString());
    }

    [Theory]
    [InlineData("run-u104.service", "/org/freedesktop/systemd1/unit/run_2du104_2eservice")]
    [InlineData("outlive-true-1b19.scope", "/org/freedesktop/systemd1/unit/outlive_2dtrue_2d1b19_2escope")]
    [InlineData("getty@tty1.service", "/org/freedesktop/systemd1/unit/getty_40tty1_2eservice")]
    [InlineData("1a_b.service", "/org/freedesktop/systemd1/unit/_31a_5fb_2eservice")]
    public void A_units_object_path_is_its_name_escaped_as_systemd_escapes_it(string unit, string path) =>
        Assert.Equal(path, DBusClient.UnitPath(unit));
}
