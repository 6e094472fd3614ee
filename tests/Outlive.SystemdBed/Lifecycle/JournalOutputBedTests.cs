namespace Outlive.SystemdBed.Lifecycle;

using Outlive.SystemdBed.Bed;
using Outlive.SystemdBed.Diagnosis;

/// <summary><c>--stdout journal</c> for every strategy: journalctl (the referee) and <c>outlive logs</c> find the lines by the child's name.</summary>
[Collection(SystemdBedCollection.Name)]
public sealed class JournalOutputBedTests(SystemdBedFixture fixture)
{
    const string State = "/run/journal-state";

    [Theory(Timeout = 300_000)]
    [InlineData("setsid")]
    [InlineData("scope")]
    [InlineData("service")]
    public async Task A_child_logging_to_the_journal_is_found_by_its_name_with_journalctl_and_outlive_logs(string strategy)
    {
        SystemdBed bed = fixture.Bed;
        string name = $"jrnl-{strategy}";
        string[] force = strategy == "setsid" ? ["--force"] : [];
        BedCommandResult run = await bed.RunOutliveAsync(["run", "--state-dir", State, "--name", name, "--escape", strategy, .. force,
            "--stdout", "journal", "--stderr", "journal", "--", "/bin/sh", "-c", $"echo out-{strategy}; echo err-{strategy} >&2; exec sleep 100700"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        try
        {
            string? seen = null;
            await BedWait.UntilAsync(async () =>
            {
                seen = (await bed.RunAsync("journalctl", "-t", name, "-o", "cat", "--no-pager")).Stdout;
                return seen.Contains($"out-{strategy}", StringComparison.Ordinal) && seen.Contains($"err-{strategy}", StringComparison.Ordinal);
            });
            BedCommandResult logs = await bed.RunOutliveAsync("logs", "--state-dir", State, name);
            Assert.True(logs.ExitCode == 0, logs.ToString());
            Assert.Contains($"out-{strategy}", logs.Stdout, StringComparison.Ordinal);
            Assert.Contains($"err-{strategy}", logs.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            await bed.RunOutliveAsync("stop", "--state-dir", State, name);
        }
    }
}
