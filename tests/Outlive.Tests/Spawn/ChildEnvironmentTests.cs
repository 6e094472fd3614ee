using System.Text;
using Outlive.Interop;
using Outlive.Spawn;

namespace Outlive.Tests.Spawn;

public class ChildEnvironmentTests
{
    private static List<string> Entries(EnvironmentBlock block) => [.. block.Entries.Select(e => Encoding.UTF8.GetString(e))];

    private static DetachedStartInfo FromBytes(params string[] entries) =>
        new() { Program = "true", EnvironmentBytes = [.. entries.Select(Encoding.UTF8.GetBytes)] };

    [Fact]
    public void Systemd_variables_of_the_callers_unit_are_scrubbed_unless_kept()
    {
        var info = FromBytes("NOTIFY_SOCKET=/run/n", "MONITOR_EXIT_CODE=1", "PATH=/bin", "WATCHDOG_USEC=5", "NOTIFY_SOCKETS=kept");

        Assert.Equal(["PATH=/bin", "NOTIFY_SOCKETS=kept"], Entries(ChildEnvironment.Build(info, null)));
        Assert.Equal(5, ChildEnvironment.Build(info with { KeepSystemdEnvironment = true }, null).Count);
    }

    [Fact]
    public void A_removed_or_set_name_goes_wherever_it_was_and_set_ones_come_last_in_order()
    {
        var info = FromBytes("A=1", "B=2", "A=3", "NOEQUALS", "C=4") with
        {
            RemoveEnvironment = ["B"],
            SetEnvironment = new Dictionary<string, string> { ["A"] = "new", ["D"] = "d" },
        };

        EnvironmentBlock block = ChildEnvironment.Build(info, null);

        Assert.Equal(["NOEQUALS", "C=4", "A=new", "D=d"], Entries(block));
        Assert.Equal("new", block.Find("A"));
        Assert.Null(block.Find("B"));
        Assert.Null(block.Find("NOEQUALS"));
    }

    [Fact]
    public void Another_users_home_and_names_are_set_unless_removed_and_set_environment_wins()
    {
        var user = new Libc.UserEntry("alice", 1000, 1000, "/home/alice");
        var info = FromBytes("HOME=/root", "USER=root") with
        {
            RemoveEnvironment = ["LOGNAME"],
            SetEnvironment = new Dictionary<string, string> { ["USER"] = "bob" },
        };

        Assert.Equal(["HOME=/home/alice", "USER=bob"], Entries(ChildEnvironment.Build(info, user)));
    }

    [Fact]
    public void Entries_that_are_not_utf8_pass_untouched_and_the_block_is_nul_separated()
    {
        byte[] raw = [.. "RAW="u8, 0xFE];
        var info = new DetachedStartInfo { Program = "true", EnvironmentBytes = [raw, "X=1"u8.ToArray()] };

        EnvironmentBlock block = ChildEnvironment.Build(info, null);

        Assert.Equal(2, block.Count);
        Assert.Equal([.. raw, 0, .. "X=1"u8, 0], block.Bytes.AsSpan(0, block.Length).ToArray());
    }

    [Fact]
    public void The_inherited_environment_is_this_process_s_as_dotnet_sees_it_including_changes_made_at_run_time()
    {
        string name = $"OUTLIVE_TEST_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(name, "set-at-run-time");
        try
        {
            EnvironmentBlock block = ChildEnvironment.Build(new DetachedStartInfo { Program = "true" }, null);

            Assert.Equal("set-at-run-time", block.Find(name));
            Assert.Equal(Environment.GetEnvironmentVariable("PATH"), block.Find("PATH"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }
}
