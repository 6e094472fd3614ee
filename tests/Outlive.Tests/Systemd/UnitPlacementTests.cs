using Outlive.Systemd;

namespace Outlive.Tests.Systemd;

public class ProcCgroupTests
{
    [Fact]
    public void A_pure_v2_file_gives_its_only_line()
    {
        Assert.Equal("/system.slice/nginx.service", ProcCgroup.Parse("0::/system.slice/nginx.service\n"));
    }

    [Fact]
    public void In_the_bed_the_v1_lines_at_root_are_skipped_for_the_unified_line()
    {
        const string text = """
            12:cpuset:/
            11:freezer:/
            10:perf_event:/
            9:name=systemd:/
            8:net_cls,net_prio:/
            4:memory:/
            1:blkio:/
            0::/user.slice/user-1500.slice/user@1500.service/app.slice/run-r3f2.scope
            """;
        Assert.Equal("/user.slice/user-1500.slice/user@1500.service/app.slice/run-r3f2.scope", ProcCgroup.Parse(text));
    }

    [Fact]
    public void A_hybrid_host_lists_the_same_unit_in_name_systemd_and_unified()
    {
        const string text = """
            11:devices:/system.slice/cron.service
            5:cpu,cpuacct:/system.slice/cron.service
            1:name=systemd:/system.slice/cron.service
            0::/system.slice/cron.service
            """;
        Assert.Equal("/system.slice/cron.service", ProcCgroup.Parse(text));
    }

    [Fact]
    public void A_legacy_v1_host_is_read_from_the_name_systemd_line()
    {
        const string text = """
            7:memory:/system.slice/sshd.service
            3:cpu,cpuacct:/system.slice/sshd.service
            1:name=systemd:/system.slice/sshd.service
            """;
        Assert.Equal("/system.slice/sshd.service", ProcCgroup.Parse(text));
    }

    [Fact]
    public void An_unused_unified_mount_at_root_loses_to_a_deeper_name_systemd_line()
    {
        Assert.Equal("/system.slice/a.service", ProcCgroup.Parse("1:name=systemd:/system.slice/a.service\n0::/\n"));
    }

    [Fact]
    public void A_path_with_colons_is_kept_whole()
    {
        Assert.Equal("/system.slice/odd:name.service", ProcCgroup.Parse("0::/system.slice/odd:name.service"));
    }

    [Fact]
    public void A_file_without_a_systemd_line_gives_null()
    {
        Assert.Null(ProcCgroup.Parse("4:memory:/docker/abc\n"));
    }

    [Fact]
    public void The_current_process_has_a_cgroup()
    {
        Assert.StartsWith("/", ProcCgroup.TryRead(Environment.ProcessId));
    }
}

public class UnitPlacementTests
{
    [Fact]
    public void A_system_service_names_its_unit_and_slice()
    {
        var placement = UnitPlacement.FromCgroupPath("/system.slice/foo.service");
        Assert.Equal(ManagerKind.System, placement.Manager);
        Assert.Equal("foo.service", placement.Unit);
        Assert.Equal("foo.service", placement.SystemUnit);
        Assert.Equal("system.slice", placement.Slice);
        Assert.Null(placement.UserId);
        Assert.False(placement.IsNested);
    }

    [Fact]
    public void A_user_manager_cgroup_names_the_user_unit()
    {
        var placement = UnitPlacement.FromCgroupPath("/user.slice/user-1500.slice/user@1500.service/app.slice/x.service");
        Assert.Equal(ManagerKind.User, placement.Manager);
        Assert.Equal(1500u, placement.UserId);
        Assert.Equal("x.service", placement.Unit);
        Assert.Equal("app.slice", placement.Slice);
        Assert.Equal("user@1500.service", placement.SystemUnit);
    }

    [Fact]
    public void The_user_manager_itself_is_its_own_init_scope()
    {
        var placement = UnitPlacement.FromCgroupPath("/user.slice/user-1000.slice/user@1000.service/init.scope");
        Assert.Equal(ManagerKind.User, placement.Manager);
        Assert.Equal("init.scope", placement.Unit);
        Assert.Equal("-.slice", placement.Slice);
    }

    [Fact]
    public void A_login_session_is_a_system_scope_in_the_users_slice()
    {
        var placement = UnitPlacement.FromCgroupPath("/user.slice/user-1000.slice/session-3.scope");
        Assert.Equal(ManagerKind.System, placement.Manager);
        Assert.Equal("session-3.scope", placement.Unit);
        Assert.Equal("user-1000.slice", placement.Slice);
        Assert.Equal(1000u, placement.UserId);
    }

    [Fact]
    public void PID_1_is_in_init_scope_of_the_root_slice()
    {
        var placement = UnitPlacement.FromCgroupPath("/init.scope");
        Assert.Equal("init.scope", placement.Unit);
        Assert.Equal("-.slice", placement.Slice);
    }

    [Fact]
    public void A_container_root_has_no_unit()
    {
        var placement = UnitPlacement.FromCgroupPath("/");
        Assert.Null(placement.Unit);
        Assert.Null(placement.SystemUnit);
        Assert.Equal("-.slice", placement.Slice);
    }

    [Fact]
    public void A_bare_slice_has_no_unit()
    {
        var placement = UnitPlacement.FromCgroupPath("/machine.slice");
        Assert.Null(placement.Unit);
        Assert.Equal("machine.slice", placement.Slice);
    }

    [Fact]
    public void A_delegated_cgroup_below_a_service_still_belongs_to_the_service()
    {
        var placement = UnitPlacement.FromCgroupPath("/system.slice/containerd.service/workers/w1");
        Assert.Equal("containerd.service", placement.Unit);
        Assert.Equal("workers/w1", placement.NestedPath);
        Assert.True(placement.IsNested);
    }

    [Fact]
    public void A_cgroup_outside_the_cgroup_namespace_has_no_unit()
    {
        // What a process entered with nsenter but left in the host's cgroup reads inside the bed.
        Assert.Null(UnitPlacement.FromCgroupPath("/..").Unit);
        Assert.Null(UnitPlacement.FromCgroupPath("/../system.slice/foo.service").Unit);
    }

    [Fact]
    public void A_non_unit_cgroup_outside_systemds_tree_has_no_unit()
    {
        var placement = UnitPlacement.FromCgroupPath("/docker/0123456789abcdef");
        Assert.Null(placement.Unit);
    }

    [Fact]
    public void An_escaped_unit_name_is_kept_as_systemd_spells_it()
    {
        var placement = UnitPlacement.FromCgroupPath(@"/system.slice/system-getty.slice/getty@tty1.service");
        Assert.Equal("getty@tty1.service", placement.Unit);
        Assert.Equal("system-getty.slice", placement.Slice);
        Assert.Equal(@"a\x2db.service", UnitPlacement.FromCgroupPath(@"/system.slice/a\x2db.service").Unit);
    }

    [Fact]
    public void A_component_escaped_with_an_underscore_is_unescaped()
    {
        Assert.Equal("cpu.service", UnitPlacement.FromCgroupPath("/system.slice/_cpu.service").Unit);
    }

    [Fact]
    public void Nested_slices_give_the_innermost_slice()
    {
        var placement = UnitPlacement.FromCgroupPath("/a.slice/a-b.slice/a-b-c.slice/job.scope");
        Assert.Equal("a-b-c.slice", placement.Slice);
        Assert.Equal("job.scope", placement.Unit);
    }

    [Fact]
    public void A_user_unit_with_a_delegated_subtree_reports_the_rest()
    {
        var placement = UnitPlacement.FromCgroupPath("/user.slice/user-1500.slice/user@1500.service/app.slice/podman.service/ctr");
        Assert.Equal(ManagerKind.User, placement.Manager);
        Assert.Equal("podman.service", placement.Unit);
        Assert.Equal("ctr", placement.NestedPath);
    }
}

public class SystemdInitTests
{
    [Fact]
    public void A_root_with_run_systemd_system_is_booted_with_systemd()
    {
        string root = Directory.CreateTempSubdirectory("outlive-sdinit-").FullName;
        try
        {
            Assert.False(SystemdInit.IsBooted(root));
            Directory.CreateDirectory(Path.Combine(root, "run/systemd/system"));
            Assert.True(SystemdInit.IsBooted(root));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
