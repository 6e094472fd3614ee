using System.Text.Json;

namespace Outlive.Registry;

/// <summary>
/// Reads an entry file the way <see cref="RegistryJsonContext"/> does, several times faster: the source-generated
/// reader of a record binds constructor parameters through caches and boxes, which was most of <c>outlive ps</c>'s
/// parsing time. It takes only what it is sure the serializer reads the same (each known property once, with exactly
/// the type, value and enum word Outlive writes); for anything else it answers null and the caller asks the
/// serializer, so what is accepted, and every error message, stays the serializer's.
/// </summary>
internal static class EntryParser
{
    private const int Required = 14;

    /// <summary>The entry, or null when the serializer must decide.</summary>
    public static RegistryEntry? TryParse(ReadOnlySpan<byte> json)
    {
        try
        {
            return Parse(json);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null; // malformed JSON, a token of another type, invalid UTF-8: the serializer says which
        }
    }

    private static RegistryEntry? Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions());
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return null;
        int schemaVersion = 0, pid = 0;
        ulong startTimeTicks = 0;
        uint startedByUid = 0;
        uint? childUid = null;
        string? name = null, bootId = null, unit = null, cwd = null, stdoutPath = null, stderrPath = null, pidFile = null;
        string? stdoutFile = null, stderrFile = null, journalIdentifier = null;
        EscapeStrategy strategy = default;
        ManagerKind? manager = null;
        List<string>? command = null;
        DateTime startedAtUtc = default;
        int seen = 0; // one bit per known property: a repeated one goes to the serializer
        int required = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int property = PropertyIndex(ref reader);
            if (property >= 0)
            {
                if ((seen & (1 << property)) != 0)
                    return null;
                seen |= 1 << property;
            }
            if (!reader.Read())
                return null;
            bool ok = property switch
            {
                0 => reader.TryGetInt32(out schemaVersion),
                1 => TryString(ref reader, out name),
                2 => reader.TryGetInt32(out pid),
                3 => reader.TryGetUInt64(out startTimeTicks),
                4 => TryString(ref reader, out bootId),
                5 => TryStrategy(ref reader, out strategy),
                6 => TryNullableString(ref reader, out unit),
                7 => TryCommand(ref reader, out command),
                8 => TryString(ref reader, out cwd),
                9 => TryNullableString(ref reader, out stdoutPath),
                10 => TryNullableString(ref reader, out stderrPath),
                11 => TryNullableString(ref reader, out pidFile),
                12 => reader.TryGetUInt32(out startedByUid),
                13 => reader.TryGetDateTime(out startedAtUtc),
                14 => TryManager(ref reader, out manager),
                15 => TryNullableString(ref reader, out stdoutFile),
                16 => TryNullableString(ref reader, out stderrFile),
                17 => TryNullableUInt32(ref reader, out childUid),
                18 => TryNullableString(ref reader, out journalIdentifier),
                _ => reader.TrySkip(),
            };
            if (!ok)
                return null;
            if (property is >= 0 and < Required)
                required++;
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || required != Required)
            return null;
        return new RegistryEntry(schemaVersion, name!, pid, startTimeTicks, bootId!, strategy, unit, command!, cwd!, stdoutPath,
            stderrPath, pidFile, startedByUid, startedAtUtc, manager, stdoutFile, stderrFile, childUid, journalIdentifier);
    }

    /// <summary>The constructor parameter's position (the first <see cref="Required"/> have no default), -1 when unknown.</summary>
    private static int PropertyIndex(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("schemaVersion"u8) ? 0
        : reader.ValueTextEquals("name"u8) ? 1
        : reader.ValueTextEquals("pid"u8) ? 2
        : reader.ValueTextEquals("startTimeTicks"u8) ? 3
        : reader.ValueTextEquals("bootId"u8) ? 4
        : reader.ValueTextEquals("strategy"u8) ? 5
        : reader.ValueTextEquals("unit"u8) ? 6
        : reader.ValueTextEquals("command"u8) ? 7
        : reader.ValueTextEquals("cwd"u8) ? 8
        : reader.ValueTextEquals("stdoutPath"u8) ? 9
        : reader.ValueTextEquals("stderrPath"u8) ? 10
        : reader.ValueTextEquals("pidFile"u8) ? 11
        : reader.ValueTextEquals("startedByUid"u8) ? 12
        : reader.ValueTextEquals("startedAtUtc"u8) ? 13
        : reader.ValueTextEquals("manager"u8) ? 14
        : reader.ValueTextEquals("stdoutFile"u8) ? 15
        : reader.ValueTextEquals("stderrFile"u8) ? 16
        : reader.ValueTextEquals("childUid"u8) ? 17
        : reader.ValueTextEquals("journalIdentifier"u8) ? 18
        : -1;

    private static bool TryString(ref Utf8JsonReader reader, out string? value)
    {
        value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return value is not null;
    }

    private static bool TryNullableString(ref Utf8JsonReader reader, out string? value)
    {
        value = null;
        return reader.TokenType == JsonTokenType.Null || TryString(ref reader, out value);
    }

    private static bool TryNullableUInt32(ref Utf8JsonReader reader, out uint? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null)
            return true;
        if (!reader.TryGetUInt32(out uint number))
            return false;
        value = number;
        return true;
    }

    private static bool TryCommand(ref Utf8JsonReader reader, out List<string>? command)
    {
        command = null;
        if (reader.TokenType != JsonTokenType.StartArray)
            return false;
        var arguments = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (!TryString(ref reader, out string? argument))
                return false;
            arguments.Add(argument!);
        }
        command = arguments;
        return true;
    }

    /// <summary>Only the words Outlive writes; the converter also takes other cases and numbers, which it then decides.</summary>
    private static bool TryStrategy(ref Utf8JsonReader reader, out EscapeStrategy strategy)
    {
        strategy = default;
        if (reader.TokenType != JsonTokenType.String)
            return false;
        if (reader.ValueTextEquals("setsid"u8))
            strategy = EscapeStrategy.Setsid;
        else if (reader.ValueTextEquals("scope"u8))
            strategy = EscapeStrategy.Scope;
        else if (reader.ValueTextEquals("service"u8))
            strategy = EscapeStrategy.Service;
        else
            return false;
        return true;
    }

    private static bool TryManager(ref Utf8JsonReader reader, out ManagerKind? manager)
    {
        manager = null;
        if (reader.TokenType == JsonTokenType.Null)
            return true;
        if (reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("system"u8))
            manager = ManagerKind.System;
        else if (reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("user"u8))
            manager = ManagerKind.User;
        return manager is not null;
    }
}
