using System.Text.Json;
using Outlive.Registry;

namespace Outlive.Tests.Registry;

/// <summary>The hand-written writer produces exactly the serializer's bytes, so readers of either kind see no difference.</summary>
public sealed class EntryWriterTests
{
    // The parser tests' entry, with characters the serializer escapes (HTML-sensitive, control, non-ASCII).
    private static readonly RegistryEntry Full = EntryParserTests.Full with
    {
        Command = ["/usr/bin/python3", "-c", "print('<hi> & \"bye\"\\n\t+`')", "ünïcödé 😀", ""],
    };

    public static TheoryData<string> Entries() => ["full", "nulls", "scope", "empty command", "another time"];

    private static RegistryEntry Entry(string which) => which switch
    {
        "full" => Full,
        "nulls" => Full with { Unit = null, StdoutPath = null, StderrPath = null, PidFile = null, Manager = null, StdoutFile = null, StderrFile = null, ChildUid = null, JournalIdentifier = null, Strategy = EscapeStrategy.Setsid },
        "scope" => Full with { Strategy = EscapeStrategy.Scope, Manager = ManagerKind.System },
        "empty command" => Full with { Command = [], Strategy = EscapeStrategy.Auto },
        _ => Full with { StartedAtUtc = DateTime.UtcNow, Pid = int.MaxValue, StartTimeTicks = ulong.MaxValue, StartedByUid = uint.MaxValue, ChildUid = 0 },
    };

    [Theory]
    [MemberData(nameof(Entries))]
    public void An_entry_is_written_byte_for_byte_as_the_serializer_writes_it(string which)
    {
        RegistryEntry entry = Entry(which);
        Assert.Equal(
            System.Text.Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(entry, RegistryJsonContext.Default.RegistryEntry)),
            System.Text.Encoding.UTF8.GetString(EntryWriter.Write(entry)));
    }

    [Fact]
    public void A_reservation_with_and_without_its_planned_unit_is_written_as_the_serializer_writes_it()
    {
        var bare = new ReservationRecord(77, 99, "boot-<id>", "tok\"en");
        var planned = bare with
        {
            Planned = new PlannedStart("outlive-x.scope", ManagerKind.System, EscapeStrategy.Scope, ["/bin/sh", "-c", "echo ü & <b>"], "/", null, "/log/é"),
        };
        foreach (ReservationRecord record in new[] { bare, planned, planned with { Planned = planned.Planned! with { Manager = ManagerKind.User, Strategy = EscapeStrategy.Service } } })
        {
            Assert.Equal(
                System.Text.Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(record, ReservationJsonContext.Default.ReservationRecord)),
                System.Text.Encoding.UTF8.GetString(EntryWriter.Write(record)));
        }
    }
}
