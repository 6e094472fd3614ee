using Outlive.Escape.Gate;
using Outlive.Tests.Support;

namespace Outlive.Tests.Escape;

public class GateImageTests
{
    [Fact]
    public void The_embedded_x64_gate_is_what_gate_c_compiles_to()
    {
        using var scratch = new Repo.ScratchDir();
        string output = Path.Combine(scratch.Path, "gate");
        string source = Path.Combine(Repo.Root, "src", "Outlive", "Escape", "Gate", "gate.c");

        var build = Repo.Run("gcc", [.. GateImage.BuildFlags.Split(' '), "-o", output, source]);

        Assert.True(build.ExitCode == 0, $"gcc failed (scripts/install-deps installs it): {build.Stderr}");
        Assert.True(Convert.FromBase64String(GateImage.X64Base64).AsSpan().SequenceEqual(File.ReadAllBytes(output)),
            "GateImage.cs is stale: run scripts/build-gate after changing gate.c");
    }

    [Theory]
    [InlineData("go\n", 0)]
    [InlineData("", 125)]
    [InlineData("no\n", 125)]
    public void The_gate_runs_the_program_only_on_go_and_otherwise_exits_125(string word, int expected)
    {
        Assert.SkipUnless(System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64, "runs the x64 image");
        using var scratch = new Repo.ScratchDir();
        string gate = Path.Combine(scratch.Path, "gate");
        File.WriteAllBytes(gate, Convert.FromBase64String(GateImage.X64Base64));
        File.SetUnixFileMode(gate, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        string marker = Path.Combine(scratch.Path, "ran");

        // fd 3 is the gate's pipe; fd 4, which the gate also closes, is /dev/null here.
        var run = Repo.Run("/bin/sh", ["-c", $"printf '{word.Replace("\n", "\\n")}' | {gate} 3 /usr/bin/touch touch {marker} 3<&0 4</dev/null"]);

        Assert.Equal(expected, run.ExitCode);
        Assert.Equal(expected == 0, File.Exists(marker));
    }
}
