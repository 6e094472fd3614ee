using System.Globalization;
using System.Text;

namespace Outlive.Bench;

/// <summary>The console table and docs/performance.md, both from the same results.</summary>
internal static class Report
{
    private static readonly string[] Columns = ["group", "case", "n", "mean µs", "median µs", "p99 µs", "ratio"];

    public static string ConsoleTable(IReadOnlyList<GroupResult> groups)
    {
        List<string[]> rows = [Columns, .. groups.SelectMany(Rows)];
        int[] widths = [.. Enumerable.Range(0, Columns.Length).Select(c => rows.Max(r => r[c].Length))];
        var text = new StringBuilder();
        foreach (string[] row in rows)
        {
            text.AppendLine(string.Join("  ", row.Select((cell, c) => c < 2 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd());
        }
        foreach (TargetResult target in groups.SelectMany(g => g.Targets))
            text.AppendLine(CultureInfo.InvariantCulture, $"target: {target.Target}: {target.Measured} — {(target.Met ? "met" : "NOT MET")}");
        foreach (string fact in groups.SelectMany(g => g.Facts))
            text.AppendLine(fact);
        foreach (GroupResult skipped in groups.Where(g => g.SkippedBecause is not null))
            text.AppendLine($"skipped: {skipped.Group}: {skipped.SkippedBecause}");
        return text.ToString();
    }

    public static string MarkdownTable(IReadOnlyList<GroupResult> groups)
    {
        var text = new StringBuilder();
        text.AppendLine("| " + string.Join(" | ", Columns) + " |");
        text.AppendLine("|" + string.Join("|", Columns.Select((_, c) => c < 2 ? "---" : "---:")) + "|");
        foreach (string[] row in groups.SelectMany(Rows))
            text.AppendLine("| " + string.Join(" | ", row) + " |");
        return text.ToString();
    }

    public static string MarkdownTargets(IReadOnlyList<GroupResult> groups)
    {
        var text = new StringBuilder();
        text.AppendLine("| target | measured | |");
        text.AppendLine("|---|---:|---|");
        foreach (TargetResult target in groups.SelectMany(g => g.Targets))
            text.AppendLine(CultureInfo.InvariantCulture, $"| {target.Target} | {target.Measured} | {(target.Met ? "met" : "**not met**")} |");
        return text.ToString();
    }

    private static IEnumerable<string[]> Rows(GroupResult group) => group.Cases.Select(c =>
    {
        double? ratio = group.RatioToBaseline(c);
        return new[]
        {
            group.Group,
            c.Case,
            c.Summary.Count.ToString(CultureInfo.InvariantCulture),
            Micros(c.Summary.Mean),
            Micros(c.Summary.Median),
            Micros(c.Summary.P99),
            ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "",
        };
    });

    public static string Micros(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
}
