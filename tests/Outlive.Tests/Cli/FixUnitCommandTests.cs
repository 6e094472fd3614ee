using Outlive.Tests.Support;

namespace Outlive.Tests.Cli;

public class FixUnitCommandTests
{
    [Fact]
    public void Fix_unit_writes_the_drop_in_prints_the_diff_and_the_security_note()
    {
        using var root = new Repo.ScratchDir();
        var result = Repo.Run(Repo.Cli, ["fix-unit", "--root", root.Path, "app.service"]);

        Assert.Equal(0, result.ExitCode);
        string dropIn = Path.Combine(root.Path, "etc/systemd/system/app.service.d/50-outlive.conf");
        Assert.Equal(
            "# Written by outlive fix-unit app.service; undo with: outlive fix-unit --revert app.service\n[Service]\nKillMode=process\n",
            File.ReadAllText(dropIn));
        Assert.Contains("+KillMode=process", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("note: KillMode=process takes app.service's other processes out of systemd's stop/restart cleanup", result.Stdout, StringComparison.Ordinal);
        Assert.Equal("644", Convert.ToString((int)File.GetUnixFileMode(dropIn), 8));
    }

    [Fact]
    public void A_dry_run_prints_the_diff_and_writes_nothing()
    {
        using var root = new Repo.ScratchDir();
        var result = Repo.Run(Repo.Cli, ["fix-unit", "--root", root.Path, "--dry-run", "--kill-mode", "mixed", "app.service"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("+KillMode=mixed", result.Stdout, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(root.Path));
    }

    [Fact]
    public void Revert_removes_the_drop_in_and_the_empty_directory()
    {
        using var root = new Repo.ScratchDir();
        Assert.Equal(0, Repo.Run(Repo.Cli, ["fix-unit", "--root", root.Path, "app.service"]).ExitCode);

        var result = Repo.Run(Repo.Cli, ["fix-unit", "--root", root.Path, "--revert", "app.service"]);

        Assert.Equal(0, result.ExitCode);
        Assert.False(Directory.Exists(Path.Combine(root.Path, "etc/systemd/system/app.service.d")));
    }

    [Fact]
    public void A_user_unit_goes_to_the_users_config_directory()
    {
        using var root = new Repo.ScratchDir();
        var result = Repo.Run(Repo.Cli, ["fix-unit", "--root", root.Path, "--user", "app.service"],
            new Dictionary<string, string> { ["HOME"] = "/home/someone", ["XDG_CONFIG_HOME"] = "" });

        Assert.Equal(0, result.ExitCode);
        Assert.True(File.Exists(Path.Combine(root.Path, "home/someone/.config/systemd/user/app.service.d/50-outlive.conf")));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a/b.service")]
    [InlineData("")]
    [InlineData("app.timer")]
    public void A_bad_unit_name_exits_2_and_writes_nothing(string unit)
    {
        using var root = new Repo.ScratchDir();
        var result = Repo.Run(Repo.Cli, ["fix-unit", "--root", root.Path, unit]);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("outlive: ", result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Empty(Directory.EnumerateFileSystemEntries(root.Path));
    }

    [Fact]
    public void A_300_character_unit_name_exits_2_and_writes_nothing()
    {
        using var root = new Repo.ScratchDir();
        var result = Repo.Run(Repo.Cli, ["fix-unit", "--root", root.Path, new string('a', 292) + ".service"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(root.Path));
    }
}
