using System.Text.Json;
using Outlive.Registry;

namespace Outlive.Cli.Commands;

/// <summary>
/// One child as <c>ps --json</c> and <c>status --json</c> print it: every registry entry property (README, schema 1)
/// plus <c>state</c> ("running", "gone", "unknown") and <c>uptimeSeconds</c>.
/// </summary>
internal static class ChildJson
{
    internal static void Write(Utf8JsonWriter writer, RegistryEntry entry, ChildState state, DateTime now)
    {
        writer.WriteStartObject();
        // The entry's own properties through its source-generated contract, so the two schemas cannot drift apart.
        using (var stored = JsonSerializer.SerializeToDocument(entry, RegistryJsonContext.Default.RegistryEntry))
        {
            foreach (var property in stored.RootElement.EnumerateObject())
                property.WriteTo(writer);
        }
        writer.WriteString("state", StateWord(state));
        writer.WriteNumber("uptimeSeconds", (long)Math.Max(0, (now - entry.StartedAtUtc).TotalSeconds));
        writer.WriteEndObject();
    }

    internal static string StateWord(ChildState state) => state.ToString().ToLowerInvariant();

    internal static Utf8JsonWriter StdoutWriter() =>
        new(Console.OpenStandardOutput(), new JsonWriterOptions { Indented = true });
}
