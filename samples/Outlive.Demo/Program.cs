using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Outlive.Procfs;
using Outlive.SystemdBed.Bed;

// The seed's story in a real systemd: a KillMode=control-group service starts one child with setsid and one
// through `outlive run`; `systemctl stop` kills the first and not the second. systemd runs in the test bed
// (private namespaces, an overlay of /), never on this machine's own root. Exit 0: the story held (the setsid
// child dead, Outlive's alive in its scope); 1: it did not; 3: no bed here (the reason is printed).
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: Outlive.Demo PATH-TO-OUTLIVE (scripts/demo runs it)");
    return 2;
}
string outlive = Path.GetFullPath(args[0]);
var clock = Stopwatch.StartNew();

if (SystemdBed.WhyCannotBoot() is { } reason)
{
    Console.WriteLine($"no systemd here to show the story in: {reason}");
    return 3;
}
Console.WriteLine("Booting this machine's systemd as PID 1 in private namespaces, on a throwaway overlay of / (nothing reaches the host)...");
SystemdBed bed;
try
{
    bed = await SystemdBed.BootAsync(RepoLayout.Artifacts, TimeSpan.FromSeconds(60));
}
catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or UnauthorizedAccessException)
{
    Console.WriteLine($"no systemd here to show the story in: the bed did not boot: {e.Message}");
    return 3;
}
using (bed)
    return await Story.PlayAsync(bed, outlive, clock);

internal static class Story
{
    private const string Service = "demo-app.service";
    private const string Dir = "/run/outlive-demo";

    public static async Task<int> PlayAsync(SystemdBed bed, string outlive, Stopwatch clock)
    {
        Console.WriteLine($"  booted {bed.SystemdVersion} in {bed.BootTime.TotalSeconds:0.0} s");
        // The JIT build of outlive (tests) needs DOTNET_ROOT; the NativeAOT one ignores it.
        string dotnetRoot = RepoLayout.DotnetRoot;
        bed.WriteFile($"{Dir}/app.sh", $"""
            #!/bin/bash
            # {Service}'s main process: asks doctor where it stands, starts two children, then works on.
            cd {Dir}
            '{outlive}' doctor > doctor.txt 2>&1
            setsid sleep 1001 < /dev/null > /dev/null 2>&1 &
            echo $! > setsid.pid
            '{outlive}' run --name demo-child --json -- sleep 1002 > outlive.json 2> outlive.err
            exec sleep infinity

            """);
        await bed.InstallUnitsAsync(new Dictionary<string, string>
        {
            [Service] = $"""
                [Unit]
                Description=Outlive demo: a service with systemd's default KillMode
                [Service]
                KillMode=control-group
                Environment=DOTNET_ROOT={dotnetRoot}
                ExecStart=/bin/bash {Dir}/app.sh

                """,
        });

        Console.WriteLine();
        Console.WriteLine($"1. {Service} (KillMode=control-group, systemd's default) runs:");
        Console.WriteLine("     outlive doctor");
        Console.WriteLine("     setsid sleep 1001 &");
        Console.WriteLine("     outlive run --name demo-child -- sleep 1002");
        await bed.RunCheckedAsync("systemctl", "start", Service);
        if (!await WaitForAsync(() => bed.TryReadFile($"{Dir}/outlive.json") is { Length: > 0 } || bed.TryReadFile($"{Dir}/outlive.err") is { Length: > 0 }))
            return Fail("the service's `outlive run` did not finish within 20 s");
        string json = bed.TryReadFile($"{Dir}/outlive.json") ?? "";
        if (json.Length == 0)
            return Fail($"the service's `outlive run` failed: {bed.TryReadFile($"{Dir}/outlive.err")?.Trim()}");

        JsonElement child = JsonDocument.Parse(json).RootElement;
        int outlivePid = child.GetProperty("pid").GetInt32();
        ulong outliveStart = child.GetProperty("startTime").GetUInt64();
        string unit = child.GetProperty("unit").GetString() ?? "(none)";
        int setsidPid = int.Parse(bed.TryReadFile($"{Dir}/setsid.pid")!.Trim(), CultureInfo.InvariantCulture);
        ProcStat? setsidStat = bed.TryReadProcStat(setsidPid);
        if (setsidStat is null)
            return Fail($"the setsid child {setsidPid} was gone before the stop");

        Console.WriteLine();
        Console.WriteLine("   outlive doctor, run inside the service, said:");
        foreach (string line in (bed.TryReadFile($"{Dir}/doctor.txt") ?? "").TrimEnd().Split('\n'))
            Console.WriteLine($"     | {line}");
        Console.WriteLine();
        Console.WriteLine("   the two children before the stop (PID as the bed sees it, its session, its cgroup):");
        await ShowAsync(bed, "setsid child ", setsidPid);
        await ShowAsync(bed, "outlive child", outlivePid);
        Console.WriteLine($"     outlive run chose: {child.GetProperty("strategy").GetString()}, because {child.GetProperty("reason").GetString()}");

        Console.WriteLine();
        Console.WriteLine($"2. $ systemctl stop {Service}");
        await bed.RunCheckedAsync("systemctl", "stop", Service);

        // systemctl stop returns once the service's cgroup is empty; the reaping by PID 1 may lag a moment.
        bool setsidDead = await WaitForAsync(() => !bed.IsAlive(setsidPid, setsidStat.StartTimeTicks), TimeSpan.FromSeconds(5));
        bool outliveAlive = bed.IsAlive(outlivePid, outliveStart);
        string unitState = (await bed.RunAsync("systemctl", "is-active", unit)).Stdout.Trim();

        Console.WriteLine();
        Console.WriteLine("3. After the stop:");
        Console.WriteLine(setsidDead
            ? $"     setsid child  {setsidPid}: gone, killed with {Service}'s cgroup"
            : $"     setsid child  {setsidPid}: STILL RUNNING");
        if (outliveAlive)
            await ShowAsync(bed, "outlive child", outlivePid, $"alive; {unit} is {unitState}");
        else
            Console.WriteLine($"     outlive child {outlivePid}: DEAD");
        Console.WriteLine();
        Console.WriteLine("   $ outlive ps");
        BedCommandResult ps = await bed.RunAsync("env", $"DOTNET_ROOT={dotnetRoot}", outlive, "ps");
        foreach (string line in (ps.Stdout + ps.Stderr).TrimEnd().Split('\n'))
            Console.WriteLine($"     {line}");

        Console.WriteLine();
        if (!setsidDead || !outliveAlive)
            return Fail($"expected the setsid child dead and Outlive's alive; setsid child {(setsidDead ? "dead" : "alive")}, " +
                $"Outlive's {(outliveAlive ? "alive" : "dead")}");
        Console.WriteLine($"demo: OK in {clock.Elapsed.TotalSeconds:0.0} s: `systemctl stop` killed the setsid child {setsidPid}; " +
            $"Outlive's child {outlivePid} lives on in {unit}");
        return 0;
    }

    private static async Task ShowAsync(SystemdBed bed, string label, int pid, string? state = null)
    {
        ProcStat? stat = bed.TryReadProcStat(pid);
        string cgroup = await bed.TryReadUnifiedCgroupAsync(pid) ?? "?";
        string session = stat is null ? "?" : stat.SessionId.ToString(CultureInfo.InvariantCulture);
        Console.WriteLine($"     {label} {pid}: {(state is null ? "" : state + "; ")}session {session}, cgroup {cgroup}");
    }

    private static async Task<bool> WaitForAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                return false;
            await Task.Delay(50);
        }
        return true;
    }

    private static int Fail(string why)
    {
        Console.WriteLine($"demo: FAILED: {why}");
        return 1;
    }
}
