using Outlive.SystemdBed.Bed;

namespace Outlive.SystemdBed.Packaging;

/// <summary>scripts/package's .deb installed into the bed's Debian as a user would: dpkg, man, the command, a completion.</summary>
[Collection(SystemdBedCollection.Name)]
public sealed class DebPackageBedTests(SystemdBedFixture fixture)
{
    private static readonly string Published = Path.Combine(RepoLayout.Artifacts, "publish", "outlive", "outlive");

    [Fact(Timeout = 300_000)]
    public async Task The_deb_installs_the_command_its_man_page_and_a_bash_completion_and_removes_them_again()
    {
        Bed.SystemdBed bed = fixture.Bed;
        // The package reuses the published NativeAOT binary (scripts/test publishes it first); publishing it here
        // would take minutes.
        if (!File.Exists(Published))
        {
            Assert.False(SystemdBedFixture.IsCi, $"CI=true but {Published} was not published");
            Assert.Skip($"{Published} is not published: run scripts/test or scripts/package first");
        }
        string output = Path.Combine(RepoLayout.Artifacts, "package-bed-test");
        // Emptied first: packages of an earlier commit (another version) would be found too.
        if (Directory.Exists(output))
            Directory.Delete(output, recursive: true);
        (int exitCode, string printed) = await HostCommand.RunAsync(Path.Combine(RepoLayout.Root, "scripts", "package"), ["--out", output]);
        Assert.True(exitCode == 0, $"scripts/package exited {exitCode}:\n{printed}");
        string deb = Assert.Single(Directory.GetFiles(output, "outlive_*_amd64.deb"));
        string tarball = Assert.Single(Directory.GetFiles(output, "outlive-*-linux-x64.tar.gz"));
        Assert.Contains($"package: {deb}", printed, StringComparison.Ordinal);
        Assert.Contains($"package: {tarball}", printed, StringComparison.Ordinal);

        try
        {
            await bed.RunCheckedAsync("dpkg", "-i", deb);
            Assert.Equal("/usr/share/man/man1/outlive.1.gz", (await bed.RunCheckedAsync("man", "-w", "outlive")).Trim());
            Assert.Equal((await bed.RunCheckedAsync(Published, "--version")).Trim(), (await bed.RunCheckedAsync("outlive", "--version")).Trim());
            Assert.Contains("outlive run", await bed.RunCheckedAsync("env", "MANWIDTH=100", "man", "-P", "cat", "outlive"), StringComparison.Ordinal);

            // The completion bash-completion loads for "outlive st<TAB>": outlive answers through [suggest].
            string completed = await bed.RunCheckedAsync("bash", "-c", """
                source /usr/share/bash-completion/completions/outlive
                COMP_LINE="outlive st"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(outlive st); COMP_CWORD=1
                _outlive
                printf '%s\n' "${COMPREPLY[@]}"
                """);
            Assert.Equal(["status", "stop"], completed.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
            string doctorOptions = await bed.RunCheckedAsync("bash", "-c", """
                source /usr/share/bash-completion/completions/outlive
                COMP_LINE="outlive doctor --u"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(outlive doctor --u); COMP_CWORD=2
                _outlive
                printf '%s\n' "${COMPREPLY[@]}"
                """);
            Assert.Contains("--unit", doctorOptions.Split('\n'));

            Assert.Contains("outlive-", bed.TryReadFile("/usr/share/doc/outlive/examples/50-outlive.rules"), StringComparison.Ordinal);
            Assert.NotNull(bed.TryReadFile("/usr/share/zsh/vendor-completions/_outlive"));
            Assert.NotNull(bed.TryReadFile("/usr/share/fish/vendor_completions.d/outlive.fish"));
        }
        finally
        {
            await bed.RunAsync("dpkg", "-r", "outlive");
        }
        Assert.NotEqual(0, (await bed.RunAsync("sh", "-c", "command -v outlive")).ExitCode);

        // The tarball holds the same tree under one folder.
        (int tarExit, string listing) = await HostCommand.RunAsync("tar", ["-tzf", tarball]);
        Assert.Equal(0, tarExit);
        string folder = Path.GetFileName(tarball)[..^".tar.gz".Length];
        Assert.Contains($"{folder}/usr/bin/outlive", listing.Split('\n'));
        Assert.Contains($"{folder}/usr/share/man/man1/outlive.1.gz", listing.Split('\n'));
    }
}
