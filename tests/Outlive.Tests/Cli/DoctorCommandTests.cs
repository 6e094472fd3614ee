using System.Text.Json;
using Outlive.Systemd;
using Outlive.Tests.Support;

namespace Outlive.Tests.Cli;

/// <summary>On this test machine systemd is not the init; the bed tests cover doctor under systemd.</summary>
public class DoctorCommandTests
{
    [Fact]
    public void Outside_systemd_doctor_says_setsid_is_enough_and_exits_0()
    {
        Assert.SkipWhen(SystemdInit.IsBooted(), "this machine runs systemd; SystemdBed covers doctor there");
        var result = Repo.Run(Repo.Cli, ["doctor", "--json", "--pid", Environment.ProcessId.ToString()]);

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(Environment.ProcessId, json.RootElement.GetProperty("pid").GetInt32());
        Assert.False(json.RootElement.GetProperty("systemdBooted").GetBoolean());
        Assert.True(json.RootElement.GetProperty("verdicts").GetProperty("setsid").GetProperty("survivesStop").GetBoolean());
        Assert.Equal("setsid", json.RootElement.GetProperty("recommended").GetProperty("strategy").GetString());
    }

    [Fact]
    public void Doctor_on_itself_reports_where_its_orphans_go()
    {
        var result = Repo.Run(Repo.Cli, ["doctor"]);

        Assert.Contains("orphans of this process go to pid ", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("child would survive: ", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pid_that_does_not_exist_exits_9_with_one_line()
    {
        var result = Repo.Run(Repo.Cli, ["doctor", "--pid", "999999999"]);

        Assert.Equal(9, result.ExitCode);
        Assert.StartsWith("outlive: no process 999999999", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Pid_and_unit_together_are_a_usage_error()
    {
        Assert.Equal(2, Repo.Run(Repo.Cli, ["doctor", "--pid", "1", "--unit", "a.service"]).ExitCode);
    }
}
