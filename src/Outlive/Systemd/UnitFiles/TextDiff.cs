using System.Text;

namespace Outlive.Systemd.UnitFiles;

/// <summary>A small line diff for previews of short files (unit files, drop-ins): one hunk with full context.</summary>
internal static class TextDiff
{
    /// <summary>
    /// <c>--- old</c>/<c>+++ new</c> headers, one <c>@@</c> hunk covering both files, and each line
    /// prefixed with ' ', '-' or '+'. Empty when the texts are equal.
    /// </summary>
    public static string Unified(string oldText, string newText, string oldName, string newName)
    {
        if (oldText == newText)
            return "";
        string[] a = SplitLines(oldText), b = SplitLines(newText);
        // Longest common subsequence table, filled from the end so the walk below goes forwards.
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
            for (int j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);

        var diff = new StringBuilder()
            .Append("--- ").Append(oldName).Append('\n')
            .Append("+++ ").Append(newName).Append('\n')
            .Append($"@@ -{Range(a.Length)} +{Range(b.Length)} @@\n");
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                diff.Append(' ').Append(a[x]).Append('\n');
                x++;
                y++;
            }
            // Removals before additions, as diff -u prints them.
            else if (x < a.Length && (y == b.Length || lcs[x + 1, y] >= lcs[x, y + 1]))
                diff.Append('-').Append(a[x++]).Append('\n');
            else
                diff.Append('+').Append(b[y++]).Append('\n');
        }
        return diff.ToString();
    }

    static string Range(int lines) => lines == 0 ? "0,0" : $"1,{lines}";

    static string[] SplitLines(string text) =>
        text.Length == 0 ? [] : text.TrimEnd('\n').Split('\n');
}
