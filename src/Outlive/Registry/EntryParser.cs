using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Outlive.Registry;

/// <summary>
/// Reads an entry file as <see cref="RegistryJsonContext"/> does, about ten times faster (it was most of
/// <c>outlive ps</c>'s time over thousands of entries). It takes only the JSON Outlive writes: one object of the known
/// properties, each once, whose values are strings without escapes, integers, null, an array of such strings, and the
/// enum words Outlive writes. Anything else (an escape, an unknown property, another value or type, invalid UTF-8)
/// makes it answer null and the caller asks the serializer, so what is accepted, and every error, stays the serializer's.
/// </summary>
internal static class EntryParser
{
    /// <summary>The constructor parameters without a default: the serializer requires them.</summary>
    private const int Required = 14;

    /// <summary>The entry, or null when the serializer must decide.</summary>
    public static RegistryEntry? TryParse(ReadOnlySpan<byte> json)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json))
            return null;
        try
        {
            return Parse(json);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null; // an invalid escape: the serializer says so
        }
    }

    private static RegistryEntry? Parse(ReadOnlySpan<byte> json)
    {
        var p = new Cursor(json);
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
        int seen = 0; // one bit per property: a repeated one goes to the serializer
        if (!p.Take((byte)'{'))
            return null;
        do
        {
            if (!p.TryRawString(out var key) || !p.Take((byte)':'))
                return null;
            int property = PropertyIndex(key);
            if (property < 0 || (seen & (1 << property)) != 0)
                return null;
            seen |= 1 << property;
            bool ok = property switch
            {
                0 => p.TryInteger(out schemaVersion),
                1 => p.TryString(out name),
                2 => p.TryInteger(out pid),
                3 => p.TryInteger(out startTimeTicks),
                4 => p.TryBootId(out bootId),
                5 => p.TryRawString(out var word) && TryStrategy(word, out strategy),
                6 => p.TryNullableString(out unit),
                7 => p.TryStrings(out command),
                8 => p.TryString(out cwd),
                9 => p.TryNullableString(out stdoutPath),
                10 => p.TryNullableString(out stderrPath),
                11 => p.TryNullableString(out pidFile),
                12 => p.TryInteger(out startedByUid),
                13 => p.TryDateTime(out startedAtUtc),
                14 => p.TryNull() || (p.TryRawString(out var kind) && TryManager(kind, out manager)),
                15 => p.TryNullableString(out stdoutFile),
                16 => p.TryNullableString(out stderrFile),
                17 => p.TryNullableInteger(out childUid),
                18 => p.TryNullableString(out journalIdentifier),
                _ => false,
            };
            if (!ok)
                return null;
        }
        while (p.Take((byte)','));
        if (!p.Take((byte)'}') || !p.AtEnd() || (seen & ((1 << Required) - 1)) != (1 << Required) - 1)
            return null;
        return new RegistryEntry(schemaVersion, name!, pid, startTimeTicks, bootId!, strategy, unit, command!, cwd!, stdoutPath,
            stderrPath, pidFile, startedByUid, startedAtUtc, manager, stdoutFile, stderrFile, childUid, journalIdentifier);
    }

    /// <summary>The constructor parameter's position (the first <see cref="Required"/> have no default), -1 when unknown.</summary>
    private static int PropertyIndex(ReadOnlySpan<byte> name) => name.Length switch
    {
        // By length first: most names are then told apart by one comparison.
        3 => name.SequenceEqual("pid"u8) ? 2 : name.SequenceEqual("cwd"u8) ? 8 : -1,
        4 => name.SequenceEqual("name"u8) ? 1 : name.SequenceEqual("unit"u8) ? 6 : -1,
        6 => name.SequenceEqual("bootId"u8) ? 4 : -1,
        7 => name.SequenceEqual("command"u8) ? 7 : name.SequenceEqual("pidFile"u8) ? 11 : name.SequenceEqual("manager"u8) ? 14 : -1,
        8 => name.SequenceEqual("strategy"u8) ? 5 : name.SequenceEqual("childUid"u8) ? 17 : -1,
        10 => name.SequenceEqual("stdoutPath"u8) ? 9 : name.SequenceEqual("stderrPath"u8) ? 10
            : name.SequenceEqual("stdoutFile"u8) ? 15 : name.SequenceEqual("stderrFile"u8) ? 16 : -1,
        12 => name.SequenceEqual("startedByUid"u8) ? 12 : name.SequenceEqual("startedAtUtc"u8) ? 13 : -1,
        13 => name.SequenceEqual("schemaVersion"u8) ? 0 : -1,
        14 => name.SequenceEqual("startTimeTicks"u8) ? 3 : -1,
        17 => name.SequenceEqual("journalIdentifier"u8) ? 18 : -1,
        _ => -1,
    };

    /// <summary>Only the words Outlive writes; the converter also takes other cases and numbers, which it then decides.</summary>
    private static bool TryStrategy(ReadOnlySpan<byte> word, out EscapeStrategy strategy)
    {
        strategy = word.SequenceEqual("setsid"u8) ? EscapeStrategy.Setsid
            : word.SequenceEqual("scope"u8) ? EscapeStrategy.Scope
            : word.SequenceEqual("service"u8) ? EscapeStrategy.Service
            : EscapeStrategy.Auto;
        return strategy != EscapeStrategy.Auto;
    }

    private static bool TryManager(ReadOnlySpan<byte> word, out ManagerKind? manager)
    {
        manager = word.SequenceEqual("system"u8) ? ManagerKind.System : word.SequenceEqual("user"u8) ? ManagerKind.User : null;
        return manager is not null;
    }

    /// <summary>A position in the entry's bytes; every Try* skips the whitespace before its token and moves past it only on success.</summary>
    private ref struct Cursor(ReadOnlySpan<byte> json)
    {
        private readonly ReadOnlySpan<byte> _json = json;
        private int _at;

        public bool Take(byte token)
        {
            SkipWhiteSpace();
            if (_at >= _json.Length || _json[_at] != token)
                return false;
            _at++;
            return true;
        }

        public bool AtEnd()
        {
            SkipWhiteSpace();
            return _at == _json.Length;
        }

        public bool TryNull()
        {
            SkipWhiteSpace();
            if (!_json[_at..].StartsWith("null"u8) || !EndsValue(_at + 4))
                return false;
            _at += 4;
            return true;
        }

        /// <summary>A string's bytes, when it holds no escape (property names, enum words).</summary>
        public bool TryRawString(out ReadOnlySpan<byte> value) => TryStringToken(out value, out bool escaped) && !escaped;

        /// <summary>
        /// A string: decoded here when it holds no escape, else by a reader over just that token, as the serializer
        /// decodes it (the serializer's default encoder escapes every non-ASCII character and several ASCII ones).
        /// </summary>
        public bool TryString(out string? value)
        {
            value = null;
            SkipWhiteSpace();
            int start = _at;
            if (!TryStringToken(out var raw, out bool escaped))
                return false;
            if (!escaped)
            {
                value = Encoding.UTF8.GetString(raw);
                return true;
            }
            var token = new Utf8JsonReader(_json[start.._at]);
            value = token.Read() ? token.GetString() : null; // an invalid escape throws, and the caller lets the serializer decide
            return value is not null;
        }

        /// <summary>The bytes between a string's quotes, without a control character (valid UTF-8 was checked first).</summary>
        private bool TryStringToken(out ReadOnlySpan<byte> value, out bool escaped)
        {
            value = default;
            escaped = false;
            if (!Take((byte)'"'))
                return false;
            int end = _at;
            while (true)
            {
                int next = _json[end..].IndexOfAny((byte)'"', (byte)'\\');
                if (next < 0)
                    return false;
                end += next;
                if (_json[end] == (byte)'"')
                    break;
                escaped = true;
                end += 2; // the escaped byte cannot end the string
                if (end > _json.Length)
                    return false;
            }
            if (_json[_at..end].IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0)
                return false;
            value = _json[_at..end];
            _at = end + 1;
            return true;
        }

        public bool TryNullableString(out string? value)
        {
            value = null;
            return TryNull() || TryString(out value);
        }

        /// <summary>Nearly every entry names this boot: they share its string.</summary>
        public bool TryBootId(out string? value)
        {
            if (!TryRawString(out var raw))
            {
                value = null;
                return false;
            }
            string current = Procfs.BootId.Current;
            value = Ascii.Equals(raw, current) ? current : Encoding.UTF8.GetString(raw);
            return true;
        }

        public bool TryStrings(out List<string>? values)
        {
            values = null;
            if (!Take((byte)'['))
                return false;
            var list = new List<string>();
            if (!Take((byte)']'))
            {
                do
                {
                    if (!TryString(out string? value))
                        return false;
                    list.Add(value!);
                }
                while (Take((byte)','));
                if (!Take((byte)']'))
                    return false;
            }
            values = list;
            return true;
        }

        /// <summary>A JSON integer (no fraction, no exponent, no leading zero) that fits <typeparamref name="T"/>.</summary>
        public bool TryInteger<T>(out T value) where T : struct
        {
            value = default;
            SkipWhiteSpace();
            int start = _at, end = _at;
            if (end < _json.Length && _json[end] == (byte)'-')
                end++;
            int digits = end;
            while (end < _json.Length && char.IsAsciiDigit((char)_json[end]))
                end++;
            if (end == digits || (_json[digits] == (byte)'0' && end - digits > 1) || !EndsValue(end))
                return false;
            ReadOnlySpan<byte> number = _json[start..end];
            bool parsed;
            int used;
            if (typeof(T) == typeof(int))
            {
                parsed = Utf8Parser.TryParse(number, out int n, out used);
                value = (T)(object)n;
            }
            else if (typeof(T) == typeof(uint))
            {
                parsed = Utf8Parser.TryParse(number, out uint n, out used);
                value = (T)(object)n;
            }
            else
            {
                parsed = Utf8Parser.TryParse(number, out ulong n, out used);
                value = (T)(object)n;
            }
            if (!parsed || used != number.Length)
                return false;
            _at = end;
            return true;
        }

        public bool TryNullableInteger(out uint? value)
        {
            value = null;
            if (TryNull())
                return true;
            if (!TryInteger(out uint number))
                return false;
            value = number;
            return true;
        }

        /// <summary>The serializer's own ISO 8601 reading of the string, by a reader over just that token.</summary>
        public bool TryDateTime(out DateTime value)
        {
            value = default;
            SkipWhiteSpace();
            int start = _at;
            if (!TryRawString(out _))
                return false;
            var token = new Utf8JsonReader(_json[start.._at]);
            return token.Read() && token.TryGetDateTime(out value);
        }

        private readonly bool EndsValue(int at) =>
            at == _json.Length || _json[at] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)',' or (byte)'}' or (byte)']';

        /// <summary>On locals: the entry is indented, and this loop runs for every line of it.</summary>
        private void SkipWhiteSpace()
        {
            ReadOnlySpan<byte> json = _json;
            int at = _at;
            while ((uint)at < (uint)json.Length && json[at] <= (byte)' ' && json[at] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
                at++;
            _at = at;
        }
    }
}
