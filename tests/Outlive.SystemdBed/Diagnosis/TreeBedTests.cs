namespace Outlive.SystemdBed.Diagnosis;

using System.Text.Json;
using Outlive.SystemdBed.Bed;

[Collection(SystemdBedCollection.Name)]
public sealed class TreeBedTests(SystemdBedFixture fixture)
{
    private sealed record Row(int Pid, string Command, string Cgroup, bool Marked);

    [Theory(Timeout = 300_000)]
    [InlineData("control-group")]
    [InlineData("process")]
    public async Task Tree_marks_exactly_the_processes_that_systemctl_stop_then_kills(string killMode)
    {
        SystemdBed bed = fixture.Bed;
        string unit = $"dctr-tree-{killMode}.service";
        string record = $"/run/{unit}.scope-child.json";
        // A plain background child, a setsid child (same cgroup) and a scope child (its own unit).
        await bed.InstallUnitsAsync(new Dictionary<string, string>
        {
            [unit] = OutliveInBed.Service(killMode,
                "/bin/sleep 100003 & OUTLIVE run --escape setsid --force -- /bin/sleep 100004 > /dev/null; " +
                $"OUTLIVE run --json --escape scope -- /bin/sleep 100005 > {record}"),
        });
        await bed.RunCheckedAsync("systemctl", "start", unit);
        await OutliveInBed.MainPidAsync(bed, unit);
        (int scopeChild, _) = await OutliveInBed.ReadStartedChildAsync(bed, record);

        Row[] before = await TreeAsync(bed, unit);
        // Ours: everything in the unit's cgroup, plus the escaped child.
        Row[] ours = [.. before.Where(r => r.Cgroup == $"/system.slice/{unit}" || r.Pid == scopeChild)];
        try
        {
            Assert.Equal(4, ours.Length);
            TestContext.Current.TestOutputHelper?.WriteLine((await bed.RunOutliveAsync("tree", "--unit", unit)).Stdout);

            await bed.RunCheckedAsync("systemctl", "stop", unit);
            var alive = (await TreeAsync(bed, null)).Select(r => (r.Pid, r.Command)).ToHashSet();

            int[] marked = [.. ours.Where(r => r.Marked).Select(r => r.Pid).Order()];
            int[] killed = [.. ours.Where(r => !alive.Contains((r.Pid, r.Command))).Select(r => r.Pid).Order()];
            Assert.Equal(killed, marked);
            Assert.DoesNotContain(scopeChild, marked);
            Assert.Equal(killMode == "process" ? 1 : 3, marked.Length);
        }
        finally
        {
            await OutliveInBed.KillAsync(bed, [.. ours.Select(r => r.Pid)]);
        }
    }

    private static async Task<Row[]> TreeAsync(SystemdBed bed, string? unit)
    {
        BedCommandResult result = await bed.RunOutliveAsync(unit is null ? ["tree", "--json"] : ["tree", "--json", "--unit", unit]);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        return [.. json.RootElement.GetProperty("processes").EnumerateArray().Select(p => new Row(
            p.GetProperty("pid").GetInt32(), p.GetProperty("command").GetString()!, p.GetProperty("cgroup").GetString()!, p.GetProperty("killedByStop").GetBoolean()))];
    }
}
