namespace Outlive.SystemdBed;

using System.Globalization;
using System.Text.Json;
using Outlive.SystemdBed.Bed;

/// <summary>The seed's own verification steps (claim C8), done literally with ps inside the bed.</summary>
[Collection(SystemdBedCollection.Name)]
public sealed class C8RecipeTests(SystemdBedFixture fixture)
{
    private const string Unit = "c8-recipe.service";

    [Fact(Timeout = 300_000)]
    public async Task After_kill_INT_of_the_main_process_the_setsid_child_of_a_KillMode_process_service_runs_on_with_PPID_1()
    {
        SystemdBed bed = fixture.Bed;
        await bed.InstallUnitsAsync(new Dictionary<string, string>
        {
            [Unit] = $"""
                [Service]
                Type=exec
                ExecStart={RepoLayout.ExecTest} --method setsid --tag c8-recipe
                Environment=DOTNET_ROOT={RepoLayout.DotnetRoot}
                KillMode=process

                """,
        });
        await bed.RunCheckedAsync("systemctl", "start", Unit);
        (int mainPid, int childPid) = await WaitForPidsAsync(bed);

        // ps -eo pid,ppid,comm,cgroup | grep exectest : main and child, both in the service's cgroup.
        PsLine[] before = await PsAsync(bed);
        PsLine child = Assert.Single(before, line => line.Pid == childPid);
        Assert.Equal(mainPid, child.ParentPid);
        Assert.Contains($"0::/system.slice/{Unit}", child.Cgroup, StringComparison.Ordinal);
        Assert.Contains(before, line => line.Pid == mainPid && line.Command == "exectest");

        // Simulated crash: kill -INT <main-pid>.
        await bed.RunCheckedAsync("kill", "-INT", mainPid.ToString(CultureInfo.InvariantCulture));
        PsLine[] after = await WaitUntilGoneAsync(bed, mainPid);

        // ps -eo pid,ppid,comm | grep "exectest child" : still running, now with PPID 1.
        PsLine survivor = Assert.Single(after, line => line.Pid == childPid);
        Assert.Equal("sleep", survivor.Command);
        Assert.Equal(1, survivor.ParentPid);
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join('\n', after.Where(l => l.Cgroup.Contains(Unit, StringComparison.Ordinal))));
    }

    private sealed record PsLine(int Pid, int ParentPid, string Command, string Cgroup);

    private static async Task<PsLine[]> PsAsync(SystemdBed bed)
    {
        string text = await bed.RunCheckedAsync("ps", "-eo", "pid=,ppid=,comm=,cgroup=");
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries))
            .Select(f => new PsLine(int.Parse(f[0], CultureInfo.InvariantCulture), int.Parse(f[1], CultureInfo.InvariantCulture), f[2], f.Length > 3 ? f[3] : ""))
            .ToArray();
    }

    private static async Task<PsLine[]> WaitUntilGoneAsync(SystemdBed bed, int pid)
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            PsLine[] lines = await PsAsync(bed);
            if (lines.All(line => line.Pid != pid))
                return lines;
            await Task.Delay(50);
        }
        throw new TimeoutException($"main process {pid} still listed 10 s after kill -INT");
    }

    private static async Task<(int Main, int Child)> WaitForPidsAsync(SystemdBed bed)
    {
        for (int attempt = 0; attempt < 600; attempt++)
        {
            if (bed.TryReadFile("/run/exectest/c8-recipe.json") is { } text)
            {
                using var json = JsonDocument.Parse(text);
                return (json.RootElement.GetProperty("mainPid").GetInt32(), json.RootElement.GetProperty("childPid").GetInt32());
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("exectest c8-recipe wrote no state file in 60 s");
    }
}
