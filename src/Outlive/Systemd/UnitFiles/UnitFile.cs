using System.Collections.Immutable;
using System.Text;

namespace Outlive.Systemd.UnitFiles;

/// <summary>One logical line of a unit file, with its exact original text (continuations included).</summary>
public abstract record UnitFileLine(string Text);

/// <summary>A blank line or a '#'/';' comment outside any assignment.</summary>
public sealed record TriviaLine(string Text) : UnitFileLine(Text);

/// <summary><c>[Name]</c>.</summary>
public sealed record SectionLine(string Text, string Name) : UnitFileLine(Text);

/// <summary>
/// <c>Key=Value</c> in <paramref name="Section"/>. <paramref name="Value"/> is what systemd sees: trimmed,
/// continuation backslashes replaced by a space, comment lines inside a continuation dropped.
/// An empty value resets the list the key builds.
/// </summary>
public sealed record AssignmentLine(string Text, string Section, string Key, string Value) : UnitFileLine(Text);

/// <summary>
/// A unit file or drop-in in systemd's syntax (systemd.syntax(7)), kept line by line so that
/// <see cref="ToString"/> gives back the exact text it was parsed from.
/// </summary>
public sealed class UnitFile
{
    UnitFile(ImmutableArray<UnitFileLine> lines, bool endsWithNewline)
    {
        Lines = lines;
        EndsWithNewline = endsWithNewline;
    }

    public ImmutableArray<UnitFileLine> Lines { get; }

    public bool EndsWithNewline { get; }

    public static UnitFile Parse(string text)
    {
        string[] physical = text.Split('\n');
        bool endsWithNewline = text.EndsWith('\n');
        int count = endsWithNewline ? physical.Length - 1 : physical.Length;
        var lines = ImmutableArray.CreateBuilder<UnitFileLine>();
        string section = "";
        for (int i = 0; i < count; i++)
        {
            string line = physical[i].TrimEnd('\r');
            string trimmed = line.Trim();
            if (trimmed.Length == 0 || IsComment(trimmed))
                lines.Add(new TriviaLine(physical[i]));
            else if (trimmed[0] == '[' && trimmed[^1] == ']')
                lines.Add(new SectionLine(physical[i], section = trimmed[1..^1]));
            else
            {
                var raw = new StringBuilder(physical[i]);
                var value = new StringBuilder();
                string part = line;
                // Like conf-parser.c: an unescaped trailing backslash becomes a space and the next line is
                // appended as is (indentation kept); comment lines in between are skipped.
                while (EndsWithContinuation(part) && i + 1 < count)
                {
                    value.Append(part, 0, part.Length - 1).Append(' ');
                    do
                    {
                        raw.Append('\n').Append(physical[++i]);
                        part = physical[i].TrimEnd('\r');
                    }
                    while (IsComment(part) && i + 1 < count);
                }
                value.Append(part);
                string logical = value.ToString();
                int equals = logical.IndexOf('=');
                string key = (equals < 0 ? logical : logical[..equals]).Trim();
                string assigned = equals < 0 ? "" : logical[(equals + 1)..].Trim();
                lines.Add(new AssignmentLine(raw.ToString(), section, key, assigned));
            }
        }
        return new UnitFile(lines.ToImmutable(), endsWithNewline);
    }

    public static UnitFile Empty { get; } = new([], endsWithNewline: true);

    /// <summary>Section names in order of first appearance.</summary>
    public IEnumerable<string> Sections => Lines.OfType<SectionLine>().Select(s => s.Name).Distinct();

    /// <summary>The values <paramref name="key"/> holds after reading the whole file: an empty assignment drops those before it.</summary>
    public ImmutableArray<string> GetValues(string section, string key)
    {
        var values = ImmutableArray.CreateBuilder<string>();
        foreach (AssignmentLine a in Assignments(section, key))
        {
            if (a.Value.Length == 0)
                values.Clear();
            else
                values.Add(a.Value);
        }
        return values.ToImmutable();
    }

    /// <summary>The value a single-valued setting ends up with (the last assignment wins); null when unset or reset.</summary>
    public string? GetValue(string section, string key)
    {
        AssignmentLine? last = Assignments(section, key).LastOrDefault();
        return last is null || last.Value.Length == 0 ? null : last.Value;
    }

    /// <summary>A copy with <c>key=value</c> appended to the last <c>[section]</c>, or to a new one at the end.</summary>
    public UnitFile WithAssignment(string section, string key, string value)
    {
        var added = new AssignmentLine($"{key}={value}", section, key, value);
        int lastSection = Lines.Select((line, index) => (line, index)).LastOrDefault(x => x.line is SectionLine s && s.Name == section, (null!, -1)).index;
        if (lastSection < 0)
        {
            var tail = Lines.Length == 0 || Lines[^1] is TriviaLine { Text.Length: 0 } ? Lines : Lines.Add(new TriviaLine(""));
            return new UnitFile(tail.Add(new SectionLine($"[{section}]", section)).Add(added), endsWithNewline: true);
        }
        // Insert after the section's last assignment, so trailing blank lines and comments stay below it.
        int insertAt = lastSection + 1;
        for (int i = lastSection + 1; i < Lines.Length && Lines[i] is not SectionLine; i++)
            if (Lines[i] is AssignmentLine)
                insertAt = i + 1;
        return new UnitFile(Lines.Insert(insertAt, added), EndsWithNewline || insertAt == Lines.Length);
    }

    public override string ToString()
    {
        string text = string.Join('\n', Lines.Select(l => l.Text));
        return EndsWithNewline && Lines.Length > 0 ? text + "\n" : text;
    }

    static bool IsComment(string line) => line.TrimStart() is [('#' or ';'), ..];

    static bool EndsWithContinuation(string line)
    {
        int backslashes = line.Length - line.TrimEnd('\\').Length;
        return backslashes % 2 == 1;
    }

    IEnumerable<AssignmentLine> Assignments(string section, string key) =>
        Lines.OfType<AssignmentLine>().Where(a => a.Section == section && a.Key == key);
}
