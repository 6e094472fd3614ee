// library-caller: starts two children the way a library user's service does, the second one with a blocking call
// right after an awaited one (the pattern that used to stall on the D-Bus read loop), and prints what happened.
//
//   library-caller --escape auto|setsid|scope|service [--force] [--between FILE] -- PROGRAM [ARGS...]
//   library-caller --handoff-restart -- PROGRAM [ARGS...]
//
// --handoff-restart hands off to PROGRAM (Launcher.HandOffAsync with HandOff.RestartOwnUnit) and prints the result.
//
// With --between FILE it writes FILE.ready after the first start and waits (up to 60 s) for FILE to exist before the
// second: a test can restart dbus in between. Prints one JSON object; exit 0, or 1 with "library-caller: TYPE: MESSAGE".
using System.Diagnostics;
using System.Text.Json;
using Outlive;

EscapeStrategy strategy = EscapeStrategy.Auto;
bool force = false;
bool handOff = false;
string? between = null;
string[] program = [];
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--escape" when i + 1 < args.Length: strategy = Enum.Parse<EscapeStrategy>(args[++i], ignoreCase: true); break;
        case "--force": force = true; break;
        case "--handoff-restart": handOff = true; break;
        case "--between" when i + 1 < args.Length: between = args[++i]; break;
        case "--" when i + 1 < args.Length: program = args[(i + 1)..]; i = args.Length; break;
        default:
            Console.Error.WriteLine($"library-caller: unexpected argument '{args[i]}'");
            return 2;
    }
}
if (program.Length == 0)
{
    Console.Error.WriteLine("library-caller: no program after --");
    return 2;
}

var start = new DetachedStartInfo { Program = program[0], Arguments = program[1..] };
try
{
    // Written to stdout only once everything worked: a failure prints its one line to stderr and nothing else.
    var output = new System.Buffers.ArrayBufferWriter<byte>();
    using var json = new Utf8JsonWriter(output);
    json.WriteStartObject();
    if (handOff)
    {
        HandOffResult result = await Launcher.HandOffAsync(start, HandOff.RestartOwnUnit);
        Write(json, "updater", result.Updater);
        json.WriteString("unit", result.Unit);
        json.WriteString("restartJob", result.RestartJob);
        json.WriteString("reason", result.Reason);
    }
    else
    {
        var escape = new EscapeOptions { Strategy = strategy, Force = force, Name = "caller" };
        LaunchedChild first = await Launcher.StartAsync(start, escape);
        if (between is not null)
        {
            await File.WriteAllTextAsync(between + ".ready", "");
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!File.Exists(between) && DateTime.UtcNow < deadline)
                await Task.Delay(50);
        }
        var clock = Stopwatch.StartNew();
        // Deliberately blocking, on the thread the await above resumed on.
        LaunchedChild second = Launcher.StartAsync(start, escape).GetAwaiter().GetResult();
        double blockingMs = clock.Elapsed.TotalMilliseconds;
        Write(json, "first", first);
        Write(json, "second", second);
        json.WriteNumber("blockingMs", blockingMs);
    }
    json.WriteEndObject();
    json.Flush();
    Console.OpenStandardOutput().Write(output.WrittenSpan);
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"library-caller: {e.GetType().Name}: {e.Message}");
    return 1;
}

static void Write(Utf8JsonWriter json, string name, LaunchedChild child)
{
    json.WriteStartObject(name);
    json.WriteNumber("pid", child.Pid);
    json.WriteString("strategy", child.Strategy.ToString());
    json.WriteString("unit", child.Unit);
    json.WriteEndObject();
}
