using System.Diagnostics;
using Outlive.Bench;

// dotnet run -c Release --project bench/Outlive.Bench -- [--quick] [--group NAME]
// Numbers are formatted with the invariant culture (InvariantGlobalization in Directory.Build.props).
// Prints the table and writes docs/performance.md from the same run.
if (args is [InsideBed.Flag])
    return await InsideBed.ServeAsync(Console.In, Console.Out);
// --group NAME runs that group alone and prints its table; only a whole run writes docs/performance.md.
string? onlyGroup = args.SkipWhile(a => a != "--group").Skip(1).FirstOrDefault();
if (args.Except(["--quick", "--group"]).Any(a => a != onlyGroup) || (args.Contains("--group") && onlyGroup is null))
{
    Console.Error.WriteLine("usage: Outlive.Bench [--quick] [--group NAME]");
    return 2;
}
var settings = BenchSettings.Create(quick: args.Contains("--quick"));
MachineInfo machine = MachineInfo.Read();
string loadAtStart = MachineInfo.LoadAverage();
var started = DateTime.UtcNow;
long runStart = Stopwatch.GetTimestamp();

var results = new List<GroupResult>();
if (onlyGroup is not null)
{
    IBenchGroup[] hostGroups = HostGroups(new Lazy<NativeBaseline>(() => NativeBaseline.Build(settings)));
    IBenchGroup group = hostGroups.SingleOrDefault(g => g.Name == onlyGroup)
        ?? throw new ArgumentException($"no host group '{onlyGroup}': {string.Join(", ", hostGroups.Select(g => g.Name))}");
    RunGroups([group]);
    Console.WriteLine(Report.ConsoleTable(results));
    Console.WriteLine($"load average {loadAtStart} at start, {MachineInfo.LoadAverage()} at the end");
    return 0;
}
RunGroups(HostGroups(new Lazy<NativeBaseline>(() => NativeBaseline.Build(settings))));
// One bed for all the bed groups, booted after the host groups so its systemd idles through none of them.
Console.Error.WriteLine("booting the systemd bed");
using (BedSession bed = BedSession.Boot())
    RunGroups([new ScopeEscapeGroup(bed), new OutliveRunGroup(bed)]);

Console.WriteLine(Report.ConsoleTable(results));
// The run's own processes weigh on the 1-minute average for a minute after they end: let them fade (up to 90 s), so
// what is judged at the end is whether something else was running.
string loadAtEnd = await MachineInfo.LoadAfterRestAsync(TimeSpan.FromSeconds(90));
// Numbers from a busy machine measure the queue for its CPUs, not Outlive: such a run is shown, never written down.
if (!MachineInfo.IsQuiet(loadAtStart) || !MachineInfo.IsQuiet(loadAtEnd))
{
    Console.Error.WriteLine($"docs/performance.md not written: the 1-minute load average was {loadAtStart} at the start and {loadAtEnd} at the end " +
        $"(a run counts only below {MachineInfo.QuietLoad}); run again on a quiet machine");
    return 3;
}
string doc = PerformanceDoc.Render(new PerformanceDoc.Run(
    settings, machine, started, Stopwatch.GetElapsedTime(runStart), loadAtStart, loadAtEnd, results));
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

// The C baseline is built only when a group that needs it runs.
static IBenchGroup[] HostGroups(Lazy<NativeBaseline> native) =>
[
    new SpawnCallGroup(native), new ThroughputGroup(native), new HeldStartGroup(), new ScaleGroup(), new StartPhasesGroup(),
    new PsGroup(), new CommandsGroup(native),
];
