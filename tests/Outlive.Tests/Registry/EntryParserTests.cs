using System.Text;
using System.Text.Json;
using Outlive.Procfs;
using Outlive.Registry;

namespace Outlive.Tests.Registry;

/// <summary>The fast entry reader takes only what the serializer reads the same, and leaves everything else to it.</summary>
public sealed class EntryParserTests
{
    internal static readonly RegistryEntry Full = new(
        1, "web-1.a_b@c", 4242, 123456789012, BootId.Current, EscapeStrategy.Service, "outlive-web.service",
        ["/usr/bin/python3", "-c", "print('hi')", "ünïcödé", ""], "/srv/web", "/var/log/out", "/var/log/err", "/run/web.pid",
        1000, new DateTime(2026, 11, 25, 12, 0, 0, DateTimeKind.Utc).AddTicks(1234567), ManagerKind.User, "8:1:42", "8:1:43", 1001, "web");

    private static string Written(RegistryEntry entry) => JsonSerializer.Serialize(entry, RegistryJsonContext.Default.RegistryEntry);

    [Fact]
    public void What_Outlive_writes_reads_back_the_same_as_through_the_serializer()
    {
        RegistryEntry[] entries =
        [
            Full,
            Full with { Unit = null, StdoutPath = null, StderrPath = null, PidFile = null, Manager = null, StdoutFile = null, StderrFile = null, ChildUid = null, JournalIdentifier = null, Strategy = EscapeStrategy.Setsid },
            Full with { Strategy = EscapeStrategy.Scope, Manager = ManagerKind.System, BootId = "another-boot", Command = [] },
        ];
        foreach (RegistryEntry entry in entries)
        {
            byte[] json = Encoding.UTF8.GetBytes(Written(entry));
            RegistryEntry? fast = EntryParser.TryParse(json);
            Assert.NotNull(fast);
            Assert.Equal(Written(JsonSerializer.Deserialize(json, RegistryJsonContext.Default.RegistryEntry)!), Written(fast));
        }
    }

    [Fact]
    public void An_entry_without_the_properties_added_later_reads_back()
    {
        string json = Written(Full);
        foreach (string added in new[] { "manager", "stdoutFile", "stderrFile", "childUid", "journalIdentifier" })
            json = System.Text.RegularExpressions.Regex.Replace(json, $",\\s*\"{added}\": [^,}}]*", "");
        RegistryEntry? fast = EntryParser.TryParse(Encoding.UTF8.GetBytes(json));
        Assert.NotNull(fast);
        Assert.Equal(Written(JsonSerializer.Deserialize(json, RegistryJsonContext.Default.RegistryEntry)!), Written(fast));
    }

    [Theory]
    [InlineData("\"name\": \"web-1.a_b@c\"", "\"name\": \"web-1.a_b\\u0040c\"")]
    [InlineData("\"cwd\": \"/srv/web\"", "\"cwd\": \"/srv/\\\"w\\\\e\\/b\\n\\ud83d\\ude00\"")]
    public void Escaped_strings_read_back_as_the_serializer_reads_them(string written, string instead)
    {
        string json = Written(Full);
        Assert.Contains(written, json);
        byte[] changed = Encoding.UTF8.GetBytes(json.Replace(written, instead));
        RegistryEntry? fast = EntryParser.TryParse(changed);
        Assert.NotNull(fast);
        Assert.Equal(Written(JsonSerializer.Deserialize(changed, RegistryJsonContext.Default.RegistryEntry)!), Written(fast));
    }

    [Fact]
    public void Half_a_surrogate_pair_reads_as_the_serializer_reads_it_or_is_left_to_it()
    {
        byte[] json = Encoding.UTF8.GetBytes(Written(Full).Replace("\"cwd\": \"/srv/web\"", "\"cwd\": \"/srv/web\\ud800\"", StringComparison.Ordinal));
        if (EntryParser.TryParse(json) is { } fast)
            Assert.Equal(Written(JsonSerializer.Deserialize(json, RegistryJsonContext.Default.RegistryEntry)!), Written(fast));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("null")]
    [InlineData("{}")]
    [InlineData("""{"schemaVersion":1,"name":"partial","pid":5}""")]
    public void Empty_truncated_and_partial_files_are_left_to_the_serializer(string json) =>
        Assert.Null(EntryParser.TryParse(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("\"name\": \"web-1.a_b@c\"", "\"n\\u0061me\": \"web-1.a_b@c\"")] // an escaped property name
    [InlineData("\"cwd\": \"/srv/web\"", "\"cwd\": \"/srv/web\\x\"")] // an invalid escape
    [InlineData("\"pid\": 4242", "\"pid\": 4242.0")] // not an integer
    [InlineData("\"pid\": 4242", "\"pid\": 04242")] // not JSON
    [InlineData("\"pid\": 4242", "\"pid\": \"4242\"")] // a string
    [InlineData("\"pid\": 4242", "\"pid\": 99999999999")] // too large
    [InlineData("\"startedByUid\": 1000", "\"startedByUid\": -1")]
    [InlineData("\"strategy\": \"service\"", "\"strategy\": \"Service\"")] // the converter ignores case
    [InlineData("\"strategy\": \"service\"", "\"strategy\": 3")] // and takes numbers
    [InlineData("\"name\": \"web-1.a_b@c\"", "\"name\": null")]
    [InlineData("\"cwd\": \"/srv/web\"", "\"cwd\": \"/srv/web\", \"cwd\": \"/\"")] // repeated
    [InlineData("\"cwd\": \"/srv/web\"", "\"cwd\": \"/srv/web\", \"future\": {\"a\": [1, true]}")] // unknown: skipped by the serializer
    [InlineData("\"command\": [", "\"command\": [null, ")]
    [InlineData("\"startedAtUtc\": \"2026-11-25T12:00:00.1234567Z\"", "\"startedAtUtc\": \"yesterday\"")]
    [InlineData("\"cwd\": \"/srv/web\"", "\"cwd\": \"/srv/\tweb\"")] // a raw control character
    public void Anything_else_is_left_to_the_serializer(string written, string instead)
    {
        string json = Written(Full);
        Assert.Contains(written, json);
        Assert.Null(EntryParser.TryParse(Encoding.UTF8.GetBytes(json.Replace(written, instead))));
    }

    [Fact]
    public void Invalid_utf8_and_trailing_bytes_are_left_to_the_serializer()
    {
        byte[] json = Encoding.UTF8.GetBytes(Written(Full));
        Assert.Null(EntryParser.TryParse([.. json, (byte)'x']));
        Assert.Null(EntryParser.TryParse([0xEF, 0xBB, 0xBF, .. json])); // a byte order mark
        byte[] invalid = [.. json];
        invalid[Array.IndexOf(invalid, (byte)'/')] = 0xFF;
        Assert.Null(EntryParser.TryParse(invalid));
    }

    [Fact]
    public void Every_mutation_of_an_entry_is_read_as_the_serializer_reads_it_or_left_to_it_and_never_throws()
    {
        // Entry files sit in a directory other processes may write to: a crafted file must not make the fast path
        // throw (ps would fail for every entry) or read what the serializer would refuse or read differently.
        byte[] original = Encoding.UTF8.GetBytes(Written(Full));
        var random = new Random(15);
        int decidedFast = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] json = Mutate(original, random);
            RegistryEntry? fast;
            try
            {
                fast = EntryParser.TryParse(json);
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation {i} threw {e.GetType().Name}: {e.Message}\n{Encoding.UTF8.GetString(json)}");
                return;
            }
            if (fast is null)
                continue;
            decidedFast++;
            RegistryEntry? slow = JsonSerializer.Deserialize(json, RegistryJsonContext.Default.RegistryEntry);
            Assert.True(slow is not null && Written(slow) == Written(fast), $"mutation {i} read differently:\n{Encoding.UTF8.GetString(json)}");
        }
        Assert.True(decidedFast > 1000, $"only {decidedFast} mutations were read by the fast path: the test no longer exercises it");
    }

    /// <summary>One to three byte-level changes: a byte replaced (often by JSON punctuation), removed, duplicated, or the end cut.</summary>
    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        ReadOnlySpan<byte> punctuation = "{}[]\",:\\0123456789-+.eEtrufalsn \u00ff"u8;
        for (int changes = random.Next(1, 4); changes > 0 && bytes.Count > 0; changes--)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0: bytes[at] = punctuation[random.Next(punctuation.Length)]; break;
                case 1: bytes[at] = (byte)random.Next(256); break;
                case 2: bytes.RemoveAt(at); break;
                case 3: bytes.Insert(at, bytes[at]); break;
                default: bytes.RemoveRange(at, bytes.Count - at); break;
            }
        }
        return [.. bytes];
    }
}
