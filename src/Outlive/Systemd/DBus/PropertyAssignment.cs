using System.Globalization;

namespace Outlive.Systemd.DBus;

/// <summary>
/// <c>NAME=VALUE</c> as systemd-run's <c>-p</c> takes it, for the properties a transient unit of Outlive's may carry:
/// resource limits (so escaping a unit's kill need not escape its limits) and the ties to other units. Each is typed
/// here, as systemd's D-Bus API wants it; an unknown name or a value of the wrong kind is refused with both named.
/// </summary>
internal static class PropertyAssignment
{
    delegate UnitProperty Parse(string name, string value);

    static readonly Dictionary<string, Parse> Table = new(StringComparer.Ordinal)
    {
        ["MemoryMax"] = Bytes, ["MemoryHigh"] = Bytes, ["MemoryLow"] = Bytes, ["MemoryMin"] = Bytes, ["MemorySwapMax"] = Bytes,
        ["TasksMax"] = Count,
        ["CPUQuota"] = CpuQuota,
        ["CPUWeight"] = Weight, ["IOWeight"] = Weight,
        ["RuntimeMaxSec"] = (name, value) => new UInt64Property("RuntimeMaxUSec", Microseconds(name, value)),
        ["PartOf"] = Units, ["BindsTo"] = Units, ["Requires"] = Units, ["Wants"] = Units, ["After"] = Units, ["Before"] = Units,
        ["Description"] = (name, value) => UnitProperty.Description(value),
    };

    /// <summary>The names <c>-p</c> accepts, for the error message and the docs.</summary>
    public static IEnumerable<string> Names => Table.Keys;

    /// <summary>The typed property for <paramref name="assignment"/>; throws ArgumentException naming what is wrong.</summary>
    public static UnitProperty From(string assignment)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0)
            throw new ArgumentException($"property '{assignment}' is not NAME=VALUE: write it like MemoryMax=512M");
        string name = assignment[..eq], value = assignment[(eq + 1)..];
        if (!Table.TryGetValue(name, out Parse? parse))
            throw new ArgumentException($"property {name} is not one Outlive sets on a transient unit; known: {string.Join(", ", Table.Keys)}");
        return parse(name, value);
    }

    /// <summary>Bytes with an optional K, M, G or T (1024-based, as systemd reads them), or infinity.</summary>
    static UnitProperty Bytes(string name, string value)
    {
        if (value == "infinity")
            return new UInt64Property(name, ulong.MaxValue);
        ulong factor = value.Length > 0 ? char.ToUpperInvariant(value[^1]) switch { 'K' => 1UL << 10, 'M' => 1UL << 20, 'G' => 1UL << 30, 'T' => 1UL << 40, _ => 1 } : 1;
        string digits = factor == 1 ? value : value[..^1];
        if (!ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) || n > ulong.MaxValue / factor)
            throw Wrong(name, value, "a size in bytes, with K, M, G or T, or infinity (e.g. 512M)");
        return new UInt64Property(name, n * factor);
    }

    static UnitProperty Count(string name, string value)
    {
        if (value == "infinity")
            return new UInt64Property(name, ulong.MaxValue);
        return ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n)
            ? new UInt64Property(name, n)
            : throw Wrong(name, value, "a number or infinity (e.g. 64)");
    }

    /// <summary>CPUQuota=N% is CPUQuotaPerSecUSec: N% of one CPU is N × 10,000 µs of CPU time per second.</summary>
    static UnitProperty CpuQuota(string name, string value)
    {
        if (!value.EndsWith('%') || !ulong.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong percent) || percent == 0 || percent > 100_000)
            throw Wrong(name, value, "a percentage of one CPU (e.g. 50% or 200%)");
        return new UInt64Property("CPUQuotaPerSecUSec", percent * 10_000);
    }

    static UnitProperty Weight(string name, string value) =>
        ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) && n is >= 1 and <= 10_000
            ? new UInt64Property(name, n)
            : throw Wrong(name, value, "a weight from 1 to 10000 (default 100)");

    static UnitProperty Units(string name, string value)
    {
        string[] units = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (string unit in units)
        {
            if (!UnitName.IsValid(unit))
                throw Wrong(name, value, "unit names separated by spaces (e.g. app.service)");
        }
        return units.Length > 0 ? new StringArrayProperty(name, [.. units]) : throw Wrong(name, value, "at least one unit name");
    }

    /// <summary>A time span as systemd writes one: a number with us, ms, s, min, h or d (seconds without), or infinity.</summary>
    static ulong Microseconds(string name, string value)
    {
        if (value == "infinity")
            return ulong.MaxValue;
        (string Suffix, ulong Factor)[] units = [("us", 1), ("ms", 1_000), ("min", 60_000_000), ("s", 1_000_000), ("h", 3_600_000_000), ("d", 86_400_000_000)];
        foreach ((string suffix, ulong factor) in units)
        {
            if (value.EndsWith(suffix, StringComparison.Ordinal)
                && ulong.TryParse(value.AsSpan(0, value.Length - suffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) && n <= ulong.MaxValue / factor)
                return n * factor;
        }
        return ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong seconds) && seconds <= ulong.MaxValue / 1_000_000
            ? seconds * 1_000_000
            : throw Wrong(name, value, "a time span such as 30s, 5min, 2h or infinity");
    }

    static ArgumentException Wrong(string name, string value, string expected) => new($"property {name}={value} is not valid: {name} takes {expected}");
}
