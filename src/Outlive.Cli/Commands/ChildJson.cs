using System.Text.Json;
using Outlive.Registry;

namespace Outlive.Cli.Commands;

/// <summary>
/// One child as <c>ps --json</c> and <c>status --json</c> print it: every registry entry property (README, schema 1)
/// plus <c>state</c> ("running", "gone", "unknown") and <c>uptimeSeconds</c>.
/// </summary>
internal static class ChildJson
{
    internal static void Write(Utf8JsonWriter writer, RegisteredChild child, DateTime now)
    {
        RegistryEntry entry = child.Entry;
        writer.WriteStartObject();
        // The entry's own properties through its source-generated contract, so the two schemas cannot drift apart.
        using (var stored = JsonSerializer.SerializeToDocument(entry, RegistryJsonContext.Default.RegistryEntry))
        {
            foreach (var property in stored.RootElement.EnumerateObject())
                property.WriteTo(writer);
        }
        writer.WriteString("state", StateWord(child.State));
        // How a gone child ended, when systemd recorded it (a service child): {"code": 1} or {"signal": 9}; else null.
        if (child.Exit is { } exit)
        {
            writer.WriteStartObject("exit");
            if (exit.Code is { } code)
                writer.WriteNumber("code", code);
            if (exit.Signal is { } signal)
                writer.WriteNumber("signal", signal);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("exit");
        }
        // "pid" is the one started; these are who runs now (a scope's forks after its first process exited).
        if (child.CurrentPid is { } current)
            writer.WriteNumber("currentPid", current);
        else
            writer.WriteNull("currentPid");
        if (child.ProcessCount is { } count)
            writer.WriteNumber("processCount", count);
        else
            writer.WriteNull("processCount");
        writer.WriteNumber("uptimeSeconds", (long)Math.Max(0, (now - entry.StartedAtUtc).TotalSeconds));
        writer.WriteEndObject();
    }

    internal static string StateWord(ChildState state) => state switch
    {
        ChildState.Running => "running",
        ChildState.Gone => "gone",
        _ => "unknown",
    };

    internal static Utf8JsonWriter StdoutWriter() =>
        new(Console.OpenStandardOutput(), new JsonWriterOptions { Indented = true });
}
