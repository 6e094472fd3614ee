using System.Text;

namespace Outlive.Systemd;

/// <summary>systemd's unit-name rules (systemd.unit(5), src/basic/unit-name.c) and <c>systemd-escape</c>.</summary>
internal static class UnitName
{
    /// <summary>UNIT_NAME_MAX is 256 including the terminating NUL.</summary>
    public const int MaxLength = 255;

    static readonly string[] Suffixes =
        ["service", "socket", "target", "device", "mount", "automount", "swap", "timer", "path", "slice", "scope"];

    /// <summary>Only these types may be templates (unit_type_may_template).</summary>
    static readonly string[] TemplateSuffixes = ["service", "socket", "target", "timer", "path"];

    /// <summary>Throws <see cref="InvalidNameException"/> naming the first rule <paramref name="name"/> breaks.</summary>
    public static void Validate(string name)
    {
        string? reason = FindProblem(name, allowTemplate: true);
        if (reason is not null)
            throw Invalid(name, reason);
    }

    /// <summary>The error for a unit name that breaks a rule (or that the caller cannot use): exit code 2, nothing touched.</summary>
    public static InvalidNameException Invalid(string name, string reason) => new($"'{name}' is not a valid systemd unit name: {reason}");

    /// <summary>The unit types that have KillMode= (systemd.kill(5)): the one rule doctor and fix-unit share.</summary>
    public static bool HasKillMode(string name) => TypeOf(name) is "service" or "scope" or "socket" or "mount" or "swap";

    public static bool IsValid(string name) => FindProblem(name, allowTemplate: true) is null;

    /// <summary>The suffix without the dot ("service"), or null when the name has no known one.</summary>
    public static string? TypeOf(string name)
    {
        int dot = name.LastIndexOf('.');
        return dot < 0 ? null : Array.Find(Suffixes, s => name.AsSpan(dot + 1).SequenceEqual(s));
    }

    static string? FindProblem(string name, bool allowTemplate)
    {
        if (name.Length == 0)
            return "it is empty";
        if (name.Length > MaxLength)
            return $"it is {name.Length} characters long, the limit is {MaxLength}";
        if (name.Contains('/'))
            return "it contains '/'";
        if (name.Contains(".."))
            return "it contains '..'";
        string? type = TypeOf(name);
        if (type is null)
            return $"it does not end in a unit type ({string.Join(", ", Suffixes.Select(s => "." + s))})";
        string stem = name[..^(type.Length + 1)];
        int at = stem.IndexOf('@');
        string prefix = at < 0 ? stem : stem[..at];
        if (prefix.Length == 0)
            return "the part before the type or '@' is empty";
        if (FirstInvalid(prefix, allowAt: false) is char bad)
            return $"it contains '{bad}' (allowed: letters, digits, ':', '-', '_', '.', '\\')";
        if (at < 0)
            return null;
        if (!TemplateSuffixes.Contains(type))
            return $"a .{type} unit cannot be a template or instance ('@')";
        string instance = stem[(at + 1)..];
        if (instance.Length == 0)
            return allowTemplate ? null : "it is a template (nothing after '@')";
        if (FirstInvalid(instance, allowAt: true) is char badInInstance)
            return $"the instance contains '{badInInstance}'";
        return null;
    }

    static char? FirstInvalid(string part, bool allowAt)
    {
        foreach (char c in part)
            if (!(char.IsAsciiLetterOrDigit(c) || c is ':' or '-' or '_' or '.' or '\\' || (allowAt && c == '@')))
                return c;
        return null;
    }

    /// <summary>
    /// A word for a transient unit's name that stays readable: every character systemd accepts in a unit name is kept
    /// as it is (letters, digits, ':', '-', '_', '.'); only the others become \xNN (UTF-8). A name pasted into a shell
    /// unquoted then still finds the unit, unless it had to carry such an escape.
    /// </summary>
    public static string ReadablePart(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            if (b < 0x80 && (char.IsAsciiLetterOrDigit((char)b) || b is (byte)':' or (byte)'-' or (byte)'_' or (byte)'.'))
                escaped.Append((char)b);
            else
                escaped.Append(@"\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return escaped.ToString();
    }

    /// <summary>
    /// A fresh name <c>outlive-NAME-RANDOM.TYPE</c> for a transient unit: NAME kept readable (<see cref="ReadablePart"/>, cut so the
    /// whole stays within <see cref="MaxLength"/>), RANDOM 8 hex digits so two starts never collide.
    /// </summary>
    public static string CreateTransient(string name, string type = "scope")
    {
        if (!Suffixes.Contains(type))
            throw new ArgumentException($"unknown unit type '{type}'", nameof(type));
        string random = Convert.ToHexStringLower(Interop.Libc.RandomBytes(4));
        // '.' is a valid character but ".." is refused by Validate, so the second dot of a pair is escaped.
        string escaped = ReadablePart(name).Replace("..", @".\x2e");
        int room = MaxLength - "outlive--".Length - random.Length - type.Length - 1;
        if (escaped.Length > room)
        {
            // Never cut through a \xNN sequence.
            int escape = escaped.LastIndexOf('\\', room - 1);
            escaped = escaped[..(escape >= 0 && escape > room - 4 ? escape : room)];
        }
        string unit = escaped.Length == 0 ? $"outlive-{random}.{type}" : $"outlive-{escaped}-{random}.{type}";
        Validate(unit);
        return unit;
    }
}
