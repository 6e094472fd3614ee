namespace Outlive.SystemdBed.Matrix;

using Outlive.SystemdBed.Bed;

/// <summary>
/// A part of docs/survival-matrix.md that another test class generates (sessions and users): each writer replaces its
/// own section between markers and keeps the others, whatever order the classes run in.
/// </summary>
internal static class DocSection
{
    public static string DocPath => Path.Combine(RepoLayout.Root, "docs", "survival-matrix.md");

    static string Begin(string name) => $"<!-- section:{name} -->";

    static string End(string name) => $"<!-- /section:{name} -->";

    /// <summary>The sections other than the main table, as they are in the doc now (empty when none).</summary>
    public static string Preserved()
    {
        string text = File.Exists(DocPath) ? File.ReadAllText(DocPath) : "";
        int start = text.IndexOf("<!-- section:", StringComparison.Ordinal);
        return start < 0 ? "" : text[start..];
    }

    /// <summary>Puts <paramref name="content"/> in section <paramref name="name"/>, replacing what was there, at the end when new.</summary>
    public static void Write(string name, string content)
    {
        string text = File.Exists(DocPath) ? File.ReadAllText(DocPath) : "# Survival matrix\n\n";
        string block = $"{Begin(name)}\n{content.TrimEnd()}\n{End(name)}\n";
        int start = text.IndexOf(Begin(name), StringComparison.Ordinal);
        int end = text.IndexOf(End(name), StringComparison.Ordinal);
        text = start >= 0 && end > start
            ? text[..start] + block + text[(end + End(name).Length)..].TrimStart('\n')
            : text.TrimEnd() + "\n\n" + block;
        File.WriteAllText(DocPath, text);
    }
}
