using System.Diagnostics;
using Outlive.Bench;

// dotnet run -c Release --project bench/Outlive.Bench -- [--quick]
// Numbers are formatted with the invariant culture (InvariantGlobalization in Directory.Build.props).
// Prints the table and writes docs/performance.md from the same run.
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
IBenchGroup[] groups =
[
    new SpawnCallGroup(native),
    new ThroughputGroup(native),
    new ScaleGroup(),
    new StartPhasesGroup(),
];

var results = new List<GroupResult>();
foreach (IBenchGroup group in groups)
{
    Console.Error.Write($"{group.Name} ");
    results.Add(group.Run(settings));
    Console.Error.WriteLine();
}

Console.WriteLine(Report.ConsoleTable(results));
string doc = PerformanceDoc.Render(new PerformanceDoc.Run(
    settings, machine, started, Stopwatch.GetElapsedTime(runStart), loadAtStart, MachineInfo.LoadAverage(), results));
string docPath = Path.Combine(settings.RepoRoot, "docs", "performance.md");
Directory.CreateDirectory(Path.GetDirectoryName(docPath)!);
File.WriteAllText(docPath, doc);
Console.WriteLine($"wrote {docPath}");
return 0;
