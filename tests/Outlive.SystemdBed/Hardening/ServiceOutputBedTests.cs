using Outlive.SystemdBed.Bed;

namespace Outlive.SystemdBed.Hardening;

/// <summary>
/// A service child's output files are opened by Outlive with the child's credentials, never by systemd as root:
/// a user who controls the path cannot turn root's `outlive run --user` into a write to root's files.
/// </summary>
[Collection(SystemdBedCollection.Name)]
public sealed class ServiceOutputBedTests(SystemdBedFixture fixture)
{
    private const string Mallory = "mallory";

    private Bed.SystemdBed Bed => fixture.Bed;

    private Task<BedCommandResult> RunAsRootAsync(params string[] args) =>
        Bed.RunAsync(["env", $"DOTNET_ROOT={RepoLayout.DotnetRoot}", RepoLayout.Cli, "run", "--state-dir", "/run/service-output-tests", .. args], TimeSpan.FromMinutes(1));

    private async Task MalloryAsync()
    {
        if ((await Bed.RunAsync("id", Mallory)).ExitCode != 0)
            await Bed.RunCheckedAsync("useradd", "-m", "-u", "1600", Mallory);
    }

    [Theory(Timeout = 300_000)]
    [InlineData("service")]
    [InlineData("scope")]
    [InlineData("setsid")]
    public async Task A_symlink_the_childs_user_planted_at_the_output_path_does_not_reach_a_root_only_file(string strategy)
    {
        await MalloryAsync();
        string secret = $"/root/secret-{strategy}";
        string link = $"/home/{Mallory}/out-{strategy}.log";
        Bed.WriteFile(secret, "root only\n");
        await Bed.RunCheckedAsync("chmod", "600", secret);
        await Bed.RunCheckedAsync("runuser", "-u", Mallory, "--", "ln", "-sf", secret, link);
        try
        {
            BedCommandResult run = await RunAsRootAsync("--escape", strategy, "--force", "--uid", Mallory, "--stdout", link, "--", "sh", "-c", "echo owned; exec sleep 100020");

            Assert.Equal(ExitCodes.StartFailed, run.ExitCode);
            Assert.Contains($"cannot open standard output file {link}", run.Stderr, StringComparison.Ordinal);
            Assert.Equal("root only\n", Bed.TryReadFile(secret));
            Assert.Equal("", (await Bed.RunAsync("pgrep", "-f", "sleep 100020")).Stdout.Trim());
        }
        finally
        {
            await Bed.RunAsync("pkill", "-f", "sleep 100020");
            await Bed.RunAsync("rm", "-rf", secret, link, "/run/service-output-tests");
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task A_service_childs_output_file_belongs_to_its_user_and_is_created_0640()
    {
        await MalloryAsync();
        string output = $"/home/{Mallory}/service.log";
        string? unit = null;
        try
        {
            BedCommandResult run = await RunAsRootAsync("--escape", "service", "--json", "--uid", Mallory, "--stdout", output, "--", "sh", "-c", "echo hello; exec sleep 100021");

            Assert.True(run.ExitCode == 0, run.ToString());
            unit = System.Text.Json.JsonDocument.Parse(run.Stdout).RootElement.GetProperty("unit").GetString();
            string stat = (await Bed.RunCheckedAsync("stat", "-c", "%U %a", output)).Trim();
            Assert.Equal($"{Mallory} 640", stat);
        }
        finally
        {
            if (unit is not null)
                await Bed.RunAsync("systemctl", "stop", unit);
            await Bed.RunAsync("rm", "-rf", output, "/run/service-output-tests");
        }
    }
}
