using Outlive.Escape;
using Outlive.Systemd.DBus;

namespace Outlive.Tests.Systemd;

public class PropertyAssignmentTests
{
    [Theory]
    [InlineData("MemoryMax=512M", "MemoryMax", 512UL << 20)]
    [InlineData("MemoryHigh=1G", "MemoryHigh", 1UL << 30)]
    [InlineData("MemoryMax=infinity", "MemoryMax", ulong.MaxValue)]
    [InlineData("MemoryMax=4096", "MemoryMax", 4096UL)]
    [InlineData("TasksMax=64", "TasksMax", 64UL)]
    [InlineData("CPUQuota=50%", "CPUQuotaPerSecUSec", 500_000UL)]
    [InlineData("CPUQuota=200%", "CPUQuotaPerSecUSec", 2_000_000UL)]
    [InlineData("CPUWeight=200", "CPUWeight", 200UL)]
    [InlineData("IOWeight=10", "IOWeight", 10UL)]
    [InlineData("RuntimeMaxSec=30", "RuntimeMaxUSec", 30_000_000UL)]
    [InlineData("RuntimeMaxSec=5min", "RuntimeMaxUSec", 300_000_000UL)]
    [InlineData("RuntimeMaxSec=2h", "RuntimeMaxUSec", 7_200_000_000UL)]
    public void A_known_property_is_typed_as_systemds_DBus_API_takes_it(string assignment, string name, ulong value)
    {
        Assert.Equal(new UInt64Property(name, value), PropertyAssignment.From(assignment));
    }

    [Fact]
    public void Unit_dependencies_are_lists_of_unit_names()
    {
        var property = Assert.IsType<StringArrayProperty>(PropertyAssignment.From("PartOf=app.service web.service"));
        Assert.Equal("PartOf", property.Name);
        Assert.Equal(["app.service", "web.service"], property.Values);
    }

    [Theory]
    [InlineData("Nice=5", "property Nice is not one Outlive sets")]
    [InlineData("MemoryMax", "is not NAME=VALUE")]
    [InlineData("MemoryMax=lots", "property MemoryMax=lots is not valid: MemoryMax takes a size in bytes")]
    [InlineData("CPUQuota=50", "CPUQuota takes a percentage")]
    [InlineData("CPUWeight=0", "CPUWeight takes a weight from 1 to 10000")]
    [InlineData("TasksMax=-1", "TasksMax takes a number")]
    [InlineData("PartOf=not a unit", "PartOf takes unit names")]
    [InlineData("RuntimeMaxSec=soon", "RuntimeMaxSec takes a time span")]
    public void An_unknown_or_wrongly_typed_property_is_refused_naming_it(string assignment, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => PropertyAssignment.From(assignment));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("web", EscapeStrategy.Scope, "web.scope")]
    [InlineData("web.scope", EscapeStrategy.Scope, "web.scope")]
    [InlineData("web", EscapeStrategy.Service, "web.service")]
    public void An_exact_unit_name_gets_the_strategys_suffix_when_it_has_none(string name, EscapeStrategy strategy, string expected)
    {
        Assert.Equal(expected, TransientUnitStart.ExactUnitName(name, strategy));
    }

    [Fact]
    public void An_exact_unit_name_of_another_type_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => TransientUnitStart.ExactUnitName("web.service", EscapeStrategy.Scope));
        Assert.Contains("is not a scope", e.Message, StringComparison.Ordinal);
    }
}
