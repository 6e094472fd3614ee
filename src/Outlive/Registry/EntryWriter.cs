using System.Buffers;
using System.Text.Json;

namespace Outlive.Registry;

/// <summary>
/// Writes entry and reservation files byte for byte as <see cref="RegistryJsonContext"/> and
/// <see cref="ReservationJsonContext"/> do, through a bare <see cref="Utf8JsonWriter"/>: the serializer builds its
/// metadata for a type on first use, by reflection over its attributes, and that was a fifth of an
/// <c>outlive run</c> or <c>status</c> (perf). The serializer stays the reference: tests compare the bytes.
/// </summary>
internal static class EntryWriter
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true };

    /// <summary>The entry as <c>JsonSerializer.SerializeToUtf8Bytes(entry, RegistryJsonContext.Default.RegistryEntry)</c> writes it.</summary>
    public static byte[] Write(RegistryEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, Indented))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", entry.SchemaVersion);
            json.WriteString("name", entry.Name);
            json.WriteNumber("pid", entry.Pid);
            json.WriteNumber("startTimeTicks", entry.StartTimeTicks);
            json.WriteString("bootId", entry.BootId);
            json.WriteString("strategy", NameOf(entry.Strategy));
            json.WriteString("unit", entry.Unit);
            WriteStrings(json, "command", entry.Command);
            json.WriteString("cwd", entry.Cwd);
            json.WriteString("stdoutPath", entry.StdoutPath);
            json.WriteString("stderrPath", entry.StderrPath);
            json.WriteString("pidFile", entry.PidFile);
            json.WriteNumber("startedByUid", entry.StartedByUid);
            json.WriteString("startedAtUtc", entry.StartedAtUtc);
            json.WriteString("manager", entry.Manager is { } manager ? NameOf(manager) : null);
            json.WriteString("stdoutFile", entry.StdoutFile);
            json.WriteString("stderrFile", entry.StderrFile);
            if (entry.ChildUid is { } childUid)
                json.WriteNumber("childUid", childUid);
            else
                json.WriteNull("childUid");
            json.WriteString("journalIdentifier", entry.JournalIdentifier);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The reservation as <c>JsonSerializer.SerializeToUtf8Bytes(record, ReservationJsonContext.Default.ReservationRecord)</c> writes it.</summary>
    public static byte[] Write(ReservationRecord record)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("pid", record.Pid);
            json.WriteNumber("startTimeTicks", record.StartTimeTicks);
            json.WriteString("bootId", record.BootId);
            json.WriteString("token", record.Token);
            if (record.Planned is { } planned)
            {
                json.WriteStartObject("planned");
                json.WriteString("unit", planned.Unit);
                json.WriteString("manager", NameOf(planned.Manager));
                json.WriteString("strategy", NameOf(planned.Strategy));
                WriteStrings(json, "command", planned.Command);
                json.WriteString("cwd", planned.Cwd);
                json.WriteString("stdoutPath", planned.StdoutPath);
                json.WriteString("stderrPath", planned.StderrPath);
                json.WriteEndObject();
            }
            else
            {
                json.WriteNull("planned");
            }
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (string value in values)
            json.WriteStringValue(value);
        json.WriteEndArray();
    }

    /// <summary>The enums' JSON names ([JsonStringEnumMemberName] on each member).</summary>
    internal static string NameOf(EscapeStrategy strategy) => strategy switch
    {
        EscapeStrategy.Auto => "auto",
        EscapeStrategy.Setsid => "setsid",
        EscapeStrategy.Scope => "scope",
        EscapeStrategy.Service => "service",
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, null),
    };

    internal static string NameOf(ManagerKind manager) => manager switch
    {
        ManagerKind.System => "system",
        ManagerKind.User => "user",
        _ => throw new ArgumentOutOfRangeException(nameof(manager), manager, null),
    };
}
