using System.Diagnostics;
using Outlive.Bench;

// dotnet run -c Release --project bench/Outlive.Bench -- [--quick]
// Numbers are formatted with the invariant culture (InvariantGlobalization in Directory.Build.props).
// Prints the table and writes docs/performance.md from the same run.
if (args is [InsideBed.Flag])
    return await InsideBed.ServeAsync(Console.In, Console.Out);
if (args.Except(["--quick"]).Any())
{
    Console.Error.WriteLine("usage: Outlive.Bench [--quick]");
    return 2;
}
var settings = BenchSettings.Create(quick: args.Contains("--quick"));
MachineInfo machine = MachineInfo.Read();
string loadAtStart = MachineInfo.LoadAverage();
var started = DateTime.UtcNow;
long runStart = Stopwatch.GetTimestamp();

NativeBaseline native = NativeBaseline.Build(settings);
var results = new List<GroupResult>();
RunGroups([new SpawnCallGroup(native), new ThroughputGroup(native), new ScaleGroup(), new StartPhasesGroup(), new PsGroup()]);
// One bed for all the bed groups, booted after the host groups so its systemd idles through none of them.
Console.Error.WriteLine("booting the systemd bed");
using (BedSession bed = BedSession.Boot())
    RunGroups([new ScopeEscapeGroup(bed), new OutliveRunGroup(bed)]);

Console.WriteLine(Report.ConsoleTable(results));
string doc = PerformanceDoc.Render(new PerformanceDoc.Run(
    settings, machine, started, Stopwatch.GetElapsedTime(runStart), loadAtStart, MachineInfo.LoadAverage(), results));
string docPath = Path.Combine(settings.RepoRoot, "docs", "performance.md");
Directory.CreateDirectory(Path.GetDirectoryName(docPath)!);
File.WriteAllText(docPath, doc);
Console.WriteLine($"wrote {docPath}");
return 0;

void RunGroups(IBenchGroup[] groups)
{
    foreach (IBenchGroup group in groups)
    {
        Console.Error.Write($"{group.Name} ");
        results.Add(group.Run(settings));
        Console.Error.WriteLine();
    }
}
