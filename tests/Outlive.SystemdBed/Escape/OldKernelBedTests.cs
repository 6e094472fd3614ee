namespace Outlive.SystemdBed.Escape;

using System.Text.Json;
using Outlive.SystemdBed.Bed;
using Outlive.SystemdBed.Diagnosis;

/// <summary>
/// A kernel before pidfds (RHEL 8's 4.18), made by systemd itself: a unit whose SystemCallFilter= makes pidfd_open,
/// pidfd_send_signal and close_range fail with ENOSYS for everything it starts. outlive runs there as a service does.
/// </summary>
[Collection(SystemdBedCollection.Name)]
public sealed class OldKernelBedTests(SystemdBedFixture fixture)
{
    [Fact(Timeout = 300_000)]
    public async Task Under_a_seccomp_filter_without_pidfds_run_status_and_stop_work_for_setsid_and_scope_children()
    {
        SystemdBed bed = fixture.Bed;
        const string Unit = "no-pidfd.service";
        const string Dir = "/run/no-pidfd";
        string script = string.Join("; ",
            $"mkdir -p {Dir}",
            $"OUTLIVE run --state-dir {Dir}/state --name plain --escape setsid --force --json -- /bin/sleep 100670 > {Dir}/plain.json 2> {Dir}/plain.err",
            $"OUTLIVE run --state-dir {Dir}/state --name scoped --json -- /bin/sleep 100671 > {Dir}/scoped.json 2> {Dir}/scoped.err",
            $"OUTLIVE status --state-dir {Dir}/state plain > {Dir}/status.txt 2>&1",
            $"OUTLIVE stop --state-dir {Dir}/state plain > {Dir}/stop-plain.txt 2>&1; echo $? > {Dir}/stop-plain.rc",
            $"OUTLIVE stop --state-dir {Dir}/state scoped > {Dir}/stop-scoped.txt 2>&1; echo $? > {Dir}/stop-scoped.rc",
            $"grep Seccomp: /proc/self/status > {Dir}/seccomp.txt");
        string service = OutliveInBed.Service("control-group", script)
            .Replace("[Service]", "[Service]\nSystemCallFilter=~pidfd_open pidfd_send_signal close_range\nSystemCallErrorNumber=ENOSYS", StringComparison.Ordinal);
        await bed.InstallUnitsAsync(new Dictionary<string, string> { [Unit] = service });
        await bed.RunCheckedAsync("systemctl", "start", Unit);
        int mainPid = await OutliveInBed.MainPidAsync(bed, Unit);
        try
        {
            Assert.Equal("Seccomp:\t2", bed.TryReadFile($"{Dir}/seccomp.txt")?.Trim());
            foreach (string name in new[] { "plain", "scoped" })
            {
                string record = bed.TryReadFile($"{Dir}/{name}.json") ?? "";
                Assert.True(record.Length > 0, $"{name}: run wrote nothing: {bed.TryReadFile($"{Dir}/{name}.err")}");
                using var child = JsonDocument.Parse(record);
                int pid = child.RootElement.GetProperty("pid").GetInt32();
                Assert.Equal("0", bed.TryReadFile($"{Dir}/stop-{name}.rc")?.Trim());
                Assert.False(bed.IsAlive(pid, child.RootElement.GetProperty("startTime").GetUInt64()), $"{name}: stop said 0 and the child lives");
            }
            Assert.Contains("plain: running", bed.TryReadFile($"{Dir}/status.txt"), StringComparison.Ordinal);
        }
        finally
        {
            await bed.RunAsync("systemctl", "stop", Unit);
        }
    }
}
