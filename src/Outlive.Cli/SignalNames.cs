using System.Globalization;

namespace Outlive.Cli;

/// <summary>Signal names as <c>kill -l</c> spells them (with or without SIG), or numbers.</summary>
internal static class SignalNames
{
    private static readonly Dictionary<string, int> s_numbers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["HUP"] = 1, ["INT"] = 2, ["QUIT"] = 3, ["ABRT"] = 6, ["KILL"] = 9, ["USR1"] = 10,
        ["USR2"] = 12, ["ALRM"] = 14, ["TERM"] = 15, ["CONT"] = 18, ["STOP"] = 19, ["TSTP"] = 20,
        ["WINCH"] = 28,
    };

    /// <summary>The signal number of TERM, SIGTERM, term or 15; null when it is none (1 to 64).</summary>
    public static int? TryParse(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
            return number is >= 1 and <= 64 ? number : null;
        string name = text.StartsWith("SIG", StringComparison.OrdinalIgnoreCase) ? text[3..] : text;
        return s_numbers.TryGetValue(name, out number) ? number : null;
    }

    /// <summary>The name (without SIG) of a signal with one here, e.g. KILL for 9; null for the others.</summary>
    public static string? NameOf(int signal) => s_numbers.FirstOrDefault(pair => pair.Value == signal).Key;
}
