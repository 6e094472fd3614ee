// exectest: C# port of the seed's Go "exectest". A long-running "service" that starts one long-lived
// child by a chosen method, prints both PIDs, records them in a state file and runs until signalled.
//
//   exectest --method plain|setsid --tag T [--state-dir DIR] [-- PROGRAM ARGS...]
//   exectest child            (a child that just sleeps; use as PROGRAM via the exectest path)
//
// The default child is `sleep 100000`. The state file DIR/T.json (DIR defaults to /run/exectest)
// holds both PIDs and their start times, so a test can tell the very processes apart from reused PIDs.
using System.Text.Json;
using ExecTest;
using Outlive;

if (args is ["child"])
{
    Thread.Sleep(Timeout.Infinite);
    return 0;
}

string? method = null, tag = null;
string stateDir = "/run/exectest";
string[] child = ["sleep", "100000"];
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--method" when i + 1 < args.Length: method = args[++i]; break;
        case "--tag" when i + 1 < args.Length: tag = args[++i]; break;
        case "--state-dir" when i + 1 < args.Length: stateDir = args[++i]; break;
        case "--" when i + 1 < args.Length: child = args[(i + 1)..]; i = args.Length; break;
        default: return Usage($"unexpected argument '{args[i]}'");
    }
}
if (method is null || tag is null)
    return Usage("--method and --tag are required");
if (!ChildMethods.ByName.TryGetValue(method, out StartChild? start))
    return Usage($"unknown method '{method}'");

// What outlive doctor says will become of the child, asked from inside this service before it starts.
Verdict? predicted = Enum.TryParse(method, ignoreCase: true, out EscapeStrategy strategy)
    ? await Launcher.PredictAsync(strategy)
    : null;
int childPid = await start(child[0], child[1..]);
ProcessIdentity main = ProcessIdentity.TryCapture(Environment.ProcessId)!;
ProcessIdentity? childIdentity = ProcessIdentity.TryCapture(childPid);
Console.WriteLine($"exectest {tag}: main pid {main.Pid}, child pid {childPid} ({method})");

Directory.CreateDirectory(stateDir);
string statePath = Path.Combine(stateDir, tag + ".json");
using (var stream = File.Create(statePath + ".tmp"))
using (var json = new Utf8JsonWriter(stream))
{
    json.WriteStartObject();
    json.WriteString("tag", tag);
    json.WriteString("method", method);
    json.WriteNumber("mainPid", main.Pid);
    json.WriteNumber("mainStartTime", main.StartTimeTicks);
    json.WriteNumber("childPid", childPid);
    json.WriteNumber("childStartTime", childIdentity?.StartTimeTicks ?? 0);
    if (predicted is not null)
    {
        json.WriteStartObject("doctorPredicted");
        json.WriteBoolean("stop", predicted.SurvivesStop);
        json.WriteBoolean("restart", predicted.SurvivesRestart);
        json.WriteBoolean("crash", predicted.SurvivesCrash);
        json.WriteString("reason", predicted.Reason);
        json.WriteEndObject();
    }
    json.WriteEndObject();
}
// Rename so a reader never sees a half-written file.
File.Move(statePath + ".tmp", statePath, overwrite: true);

Thread.Sleep(Timeout.Infinite);
return 0;

static int Usage(string error)
{
    Console.Error.WriteLine($"exectest: {error}");
    Console.Error.WriteLine($"usage: exectest --method {string.Join('|', ChildMethods.ByName.Keys)} --tag T [--state-dir DIR] [-- PROGRAM ARGS...]");
    Console.Error.WriteLine("       exectest child");
    return 2;
}
