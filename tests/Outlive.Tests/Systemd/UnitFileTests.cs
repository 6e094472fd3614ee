using Outlive.Systemd;
using Outlive.Systemd.UnitFiles;

namespace Outlive.Tests.Systemd;

public class UnitFileTests
{
    const string SeedUnit = """
        # The seed's unit
        [Unit]
        Description=exectest

        [Service]
        Type=simple
        ExecStart=/home/snowm/src/exectest/exectest
        User=snowm
        ; KillMode=process

        """;

    [Fact]
    public void Parsing_and_printing_gives_back_the_exact_text()
    {
        string text = SeedUnit + "Environment=A=1 \\\n  B=2\n# tail\n[Install]\r\nWantedBy=multi-user.target";
        Assert.Equal(text, UnitFile.Parse(text).ToString());
    }

    [Fact]
    public void Comments_with_hash_or_semicolon_set_nothing()
    {
        var file = UnitFile.Parse(SeedUnit);
        Assert.Null(file.GetValue("Service", "KillMode"));
        Assert.Equal("snowm", file.GetValue("Service", "User"));
        Assert.Equal(["Unit", "Service"], file.Sections);
    }

    [Fact]
    public void Repeated_keys_build_a_list_and_an_empty_assignment_resets_it()
    {
        var file = UnitFile.Parse("[Service]\nExecStartPre=/a\nExecStartPre=/b\nExecStartPre=\nExecStartPre=/c\nExecStartPre=/d\n");
        Assert.Equal(["/c", "/d"], file.GetValues("Service", "ExecStartPre"));
    }

    [Fact]
    public void The_last_assignment_of_a_single_valued_key_wins()
    {
        var file = UnitFile.Parse("[Service]\nKillMode=mixed\nKillMode=process\n");
        Assert.Equal("process", file.GetValue("Service", "KillMode"));
        Assert.Null(UnitFile.Parse("[Service]\nKillMode=mixed\nKillMode=\n").GetValue("Service", "KillMode"));
    }

    [Fact]
    public void A_backslash_continuation_joins_lines_with_a_space_and_skips_comment_lines()
    {
        var file = UnitFile.Parse("[Service]\nExecStart=/bin/echo one \\\n  two \\\n# not part of it\n  three\nUser=x\n");
        var exec = Assert.IsType<AssignmentLine>(file.Lines[1]);
        Assert.Equal("/bin/echo one    two    three", exec.Value);
        Assert.Equal("x", file.GetValue("Service", "User"));
        Assert.Equal(3, file.Lines.Length);
    }

    [Fact]
    public void An_escaped_trailing_backslash_does_not_continue_the_line()
    {
        var file = UnitFile.Parse("[Service]\nEnvironment=DIR=C:\\\\\nUser=x\n");
        Assert.Equal(@"DIR=C:\\", file.GetValue("Service", "Environment"));
        Assert.Equal("x", file.GetValue("Service", "User"));
    }

    [Fact]
    public void Keys_in_one_section_do_not_leak_into_another()
    {
        var file = UnitFile.Parse("[Unit]\nDescription=a\n[Service]\nDescription=b\n");
        Assert.Equal("a", file.GetValue("Unit", "Description"));
        Assert.Equal("b", file.GetValue("Service", "Description"));
    }

    [Fact]
    public void An_added_assignment_goes_after_the_sections_last_assignment()
    {
        string changed = UnitFile.Parse(SeedUnit).WithAssignment("Service", "KillMode", "process").ToString();
        Assert.Contains("User=snowm\nKillMode=process\n; KillMode=process\n", changed);
        Assert.Equal("process", UnitFile.Parse(changed).GetValue("Service", "KillMode"));
    }

    [Fact]
    public void An_assignment_to_a_missing_section_adds_the_section()
    {
        Assert.Equal("[Unit]\nA=1\n\n[Service]\nKillMode=process\n",
            UnitFile.Parse("[Unit]\nA=1\n").WithAssignment("Service", "KillMode", "process").ToString());
        Assert.Equal("[Scope]\nKillMode=none\n", UnitFile.Empty.WithAssignment("Scope", "KillMode", "none").ToString());
    }
}

public class TextDiffTests
{
    [Fact]
    public void Equal_texts_have_no_diff()
    {
        Assert.Equal("", TextDiff.Unified("a\n", "a\n", "x", "y"));
    }

    [Fact]
    public void A_changed_line_shows_as_removal_then_addition_with_context()
    {
        string diff = TextDiff.Unified("[Service]\nKillMode=mixed\nUser=a\n", "[Service]\nKillMode=process\nUser=a\n", "old", "new");
        Assert.Equal("--- old\n+++ new\n@@ -1,3 +1,3 @@\n [Service]\n-KillMode=mixed\n+KillMode=process\n User=a\n", diff);
    }

    [Fact]
    public void A_new_file_is_all_additions()
    {
        Assert.Equal("--- /dev/null\n+++ f\n@@ -0,0 +1,2 @@\n+[Service]\n+KillMode=process\n",
            TextDiff.Unified("", "[Service]\nKillMode=process\n", "/dev/null", "f"));
    }
}

public class KillModeDropInTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("outlive-dropin-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void A_system_unit_drop_in_lives_under_etc_systemd_system()
    {
        Assert.Equal(Path.Combine(_root, "etc/systemd/system/exectest.service.d/50-outlive.conf"),
            KillModeDropIn.PathFor("exectest.service", ManagerKind.System, _root));
    }

    [Fact]
    public void A_user_unit_drop_in_lives_under_the_users_config_home()
    {
        Assert.Equal(Path.Combine(_root, "home/u/.cfg/systemd/user/x.service.d/50-outlive.conf"),
            KillModeDropIn.PathFor("x.service", ManagerKind.User, _root, n => n == "XDG_CONFIG_HOME" ? "/home/u/.cfg" : null));
        Assert.Equal(Path.Combine(_root, "home/u/.config/systemd/user/x.service.d/50-outlive.conf"),
            KillModeDropIn.PathFor("x.service", ManagerKind.User, _root, n => n == "HOME" ? "/home/u" : null));
    }

    [Fact]
    public void A_unit_name_that_escapes_the_directory_is_refused()
    {
        Assert.Throws<InvalidUnitNameException>(() => KillModeDropIn.PathFor("../../passwd.service", ManagerKind.System, _root));
    }

    [Fact]
    public void The_rendered_drop_in_sets_kill_mode_in_the_units_own_section()
    {
        string text = KillModeDropIn.Render("exectest.service", KillMode.Process);
        Assert.StartsWith("# Written by outlive fix-unit exectest.service;", text);
        Assert.Equal("process", UnitFile.Parse(text).GetValue("Service", "KillMode"));
        Assert.Equal("none", UnitFile.Parse(KillModeDropIn.Render("a.scope", KillMode.None)).GetValue("Scope", "KillMode"));
        Assert.Throws<ArgumentException>(() => KillModeDropIn.Render("a.timer", KillMode.Process));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Writing_creates_the_file_with_mode_0644_and_no_temporary_left()
    {
        string path = KillModeDropIn.PathFor("a.service", ManagerKind.System, _root);
        KillModeDropIn.Write(path, "old\n");
        KillModeDropIn.Write(path, "new\n");
        Assert.Equal("new\n", File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void Reverting_removes_the_file_and_the_directory_it_leaves_empty()
    {
        string path = KillModeDropIn.PathFor("a.service", ManagerKind.System, _root);
        KillModeDropIn.Write(path, KillModeDropIn.Render("a.service", KillMode.Process));
        Assert.True(KillModeDropIn.Revert(path));
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
        Assert.False(KillModeDropIn.Revert(path));
    }

    [Fact]
    public void Reverting_keeps_a_directory_with_other_drop_ins()
    {
        string path = KillModeDropIn.PathFor("a.service", ManagerKind.System, _root);
        KillModeDropIn.Write(path, "x\n");
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(path)!, "10-admin.conf"), "[Service]\n");
        Assert.True(KillModeDropIn.Revert(path));
        Assert.True(Directory.Exists(Path.GetDirectoryName(path)));
    }

    [Fact]
    public void The_preview_of_a_new_drop_in_is_a_diff_from_dev_null()
    {
        string path = KillModeDropIn.PathFor("a.service", ManagerKind.System, _root);
        string preview = KillModeDropIn.Preview(path, "[Service]\nKillMode=process\n");
        Assert.StartsWith("--- /dev/null\n+++ " + path + "\n", preview);
        Assert.EndsWith("+KillMode=process\n", preview);
    }
}
