using System.Diagnostics;
using Outlive.SystemdBed.Bed;

namespace Outlive.SystemdBed.Packaging;

/// <summary>
/// scripts/demo as a newcomer runs it (without its build step): it boots a bed of its own and must end with the
/// setsid child killed by `systemctl stop` and Outlive's child alive in its scope. Not in the bed collection: the
/// demo boots its own.
/// </summary>
public sealed class DemoScriptTests
{
    [Fact(Timeout = 180_000)]
    public async Task The_demo_ends_with_the_setsid_child_killed_by_systemctl_stop_and_Outlives_child_alive_in_its_scope()
    {
        if (Bed.SystemdBed.WhyCannotBoot() is { } reason)
        {
            Assert.False(SystemdBedFixture.IsCi, $"CI=true but {reason}");
            Assert.Skip(reason);
        }
        var clock = Stopwatch.StartNew();
        (int exitCode, string output) = await HostCommand.RunAsync(Path.Combine(RepoLayout.Root, "scripts", "demo"), ["--no-build"],
            new Dictionary<string, string> { ["OUTLIVE"] = RepoLayout.Cli, ["DOTNET_ROOT"] = RepoLayout.DotnetRoot });
        TestContext.Current.SendDiagnosticMessage($"scripts/demo --no-build took {clock.Elapsed.TotalSeconds:F1} s");

        Assert.True(exitCode == 0, $"scripts/demo exited {exitCode}:\n{output}");
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.Contains("gone, killed with demo-app.service's cgroup", StringComparison.Ordinal));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"outlive child \d+: alive; outlive-demo-child-[0-9a-f]+\.scope is active"));
        Assert.Contains(lines, l => l.Contains("auto picks scope", StringComparison.Ordinal));
        Assert.StartsWith("demo: OK", lines[^1], StringComparison.Ordinal);
    }
}
