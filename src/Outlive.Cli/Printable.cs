using System.Globalization;
using System.Text;

namespace Outlive.Cli;

/// <summary>
/// Text from a registry entry, a unit or /proc (a child's command line is anyone's to choose) made safe for a terminal:
/// control characters (C0, DEL, C1: escape sequences) and invisible format characters (bidi overrides) are shown as
/// <c>\xNN</c> / <c>\uNNNN</c>. JSON output is left exact; its writer escapes them its own way.
/// </summary>
internal static class Printable
{
    internal static string Of(string? text)
    {
        // Printable ASCII, nearly always: a vectorized check instead of a Unicode category per character (ps has thousands).
        if (string.IsNullOrEmpty(text) || !text.AsSpan().ContainsAnyExceptInRange(' ', '~') || !text.Any(NeedsEscape))
            return text ?? "";
        var escaped = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            if (!NeedsEscape(c))
                escaped.Append(c);
            else if (c <= 0xFF)
                escaped.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            else
                escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
        }
        return escaped.ToString();
    }

    /// <summary>The one-line error every command prints: <c>outlive: MESSAGE</c>, made safe for the terminal.</summary>
    internal static void WriteError(string message) => Console.Error.WriteLine($"outlive: {Of(message.ReplaceLineEndings(" "))}");

    /// <summary>A whole report (doctor, tree): every line made safe, the line breaks kept.</summary>
    internal static string Lines(string report) => string.Join('\n', report.Split('\n').Select(Of));

    private static bool NeedsEscape(char c) => char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format;
}
