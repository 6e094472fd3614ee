using System.Text.Json;
using Outlive.Procfs;
using Outlive.Registry;

namespace Outlive.Tests.Registry;

/// <summary>The hand-written writer produces exactly the serializer's bytes, so readers of either kind see no difference.</summary>
public sealed class EntryWriterTests
{
    private static readonly RegistryEntry Full = new(
        1, "web-1.a_b@c", 4242, 123456789012, BootId.Current, EscapeStrategy.Service, "outlive-web.service",
        ["/usr/bin/python3", "-c", "print('<hi> & \"bye\"\\n\t+`')", "ünïcödé 😀", ""], "/srv/web", "/var/log/out", "/var/log/err", "/run/web.pid",
        1000, new DateTime(2026, 11, 25, 12, 0, 0, DateTimeKind.Utc).AddTicks(1234567), ManagerKind.User, "8:1:42", "8:1:43", 1001, "web");

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
