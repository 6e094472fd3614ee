using System.Text.RegularExpressions;
using Outlive.Tests.Support;

namespace Outlive.Tests.Architecture;

/// <summary>
/// Rules about the source itself, read from the checkout: what a review would otherwise have to catch by eye.
/// Each failure names the file, the line and the rule.
/// </summary>
public partial class SourceRulesTests
{
    private static readonly string Library = Path.Combine(Repo.Root, "src", "Outlive");

    /// <summary>The library's layers, lowest first: a folder may use its own namespace and those of lower rank only.</summary>
    private static readonly Dictionary<string, int> LayerRank = new()
    {
        ["Interop"] = 0,
        ["Procfs"] = 1,
        ["Spawn"] = 2,
        ["Systemd"] = 3,
        ["Escape"] = 4,
        ["Registry"] = 5,
        ["Diagnosis"] = 5,
    };

    private static IEnumerable<string> SourceFiles(string root) =>
        Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains("/obj/", StringComparison.Ordinal) && !path.Contains("/bin/", StringComparison.Ordinal));

    private static string Relative(string path) => Path.GetRelativePath(Repo.Root, path);

    /// <summary>Code lines (comments dropped), with their numbers.</summary>
    private static IEnumerable<(int Number, string Code)> CodeLines(string path) =>
        File.ReadLines(path).Select((line, i) => (i + 1, StripComment(line))).Where(l => l.Item2.Trim().Length > 0);

    private static string StripComment(string line)
    {
        int comment = line.IndexOf("//", StringComparison.Ordinal);
        // A "//" inside a string (a URL, unix:path=…) is not a comment: count the quotes before it.
        while (comment >= 0 && line[..comment].Count(c => c == '"') % 2 == 1)
            comment = line.IndexOf("//", comment + 2, StringComparison.Ordinal);
        return comment < 0 ? line : line[..comment];
    }

    // polkit.Result is JavaScript in a polkit rule Outlive prints, not a task.
    [GeneratedRegex(@"\.GetAwaiter\(\)\.GetResult\(\)|(?<!polkit)\.Result\b|\.Wait\(\s*\)")]
    private static partial Regex SyncOverAsync();

    [Fact]
    public void Nothing_in_src_blocks_on_a_task()
    {
        var found = SourceFiles(Path.Combine(Repo.Root, "src"))
            .SelectMany(path => CodeLines(path).Where(l => SyncOverAsync().IsMatch(l.Code)).Select(l => $"{Relative(path)}:{l.Number}: {l.Code.Trim()}"))
            .ToList();

        Assert.True(found.Count == 0, "sync-over-async (GetAwaiter().GetResult(), .Result, .Wait()) in src/:\n" + string.Join('\n', found));
    }

    [GeneratedRegex(@"\bOutlive\.(Interop|Procfs|Spawn|Systemd|Escape|Registry|Diagnosis)\b")]
    private static partial Regex LayerReference();

    [GeneratedRegex(@"^\s*(?:public|internal)\s+(?:(?:sealed|static|abstract|readonly|partial)\s+)*(?:class|record|enum|struct|interface)\s+(\w+)", RegexOptions.Multiline)]
    private static partial Regex TypeDeclaration();

    [Fact]
    public void The_library_layers_use_only_layers_below_them_and_the_front_door_types_they_use_depend_on_nothing_above()
    {
        var violations = new List<string>();
        string[] files = [.. SourceFiles(Library)];
        var rootFiles = files.Where(f => Path.GetDirectoryName(f) == Library).ToList();

        // A root (front door) file sits right above whatever it uses: layers by namespace, other root types by name.
        var rootTypes = rootFiles.SelectMany(f => TypeDeclaration().Matches(File.ReadAllText(f)).Select(m => (Type: m.Groups[1].Value, File: f))).ToList();
        var rootRank = rootFiles.ToDictionary(f => f, f => LayersUsed(f).Select(l => LayerRank[l]).DefaultIfEmpty(-1).Max());
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (string file in rootFiles)
            {
                string code = string.Join('\n', CodeLines(file).Select(l => l.Code));
                int rank = rootTypes.Where(t => t.File != file && Regex.IsMatch(code, $@"\b{t.Type}\b")).Select(t => rootRank[t.File]).DefaultIfEmpty(-1).Max();
                if (rank > rootRank[file])
                {
                    rootRank[file] = rank;
                    changed = true;
                }
            }
        }

        foreach (string file in files.Except(rootFiles))
        {
            string layer = Path.GetRelativePath(Library, file).Split('/')[0];
            Assert.True(LayerRank.ContainsKey(layer), $"{Relative(file)}: the folder {layer} is not a known layer");
            int rank = LayerRank[layer];
            foreach (string used in LayersUsed(file).Where(l => l != layer && LayerRank[l] >= rank))
                violations.Add($"{Relative(file)}: {layer} uses Outlive.{used}, which is not below it");
            string code = string.Join('\n', CodeLines(file).Select(l => l.Code));
            foreach (var (type, rootFile) in rootTypes.Where(t => rootRank[t.File] >= rank && Regex.IsMatch(code, $@"\b{t.Type}\b")))
                violations.Add($"{Relative(file)}: {layer} uses {type} ({Path.GetFileName(rootFile)}), which depends on a layer at or above {layer}");
        }

        Assert.True(violations.Count == 0, "layering broken:\n" + string.Join('\n', violations.Distinct()));

        static IEnumerable<string> LayersUsed(string file) =>
            CodeLines(file).SelectMany(l => LayerReference().Matches(l.Code).Select(m => m.Groups[1].Value)).Distinct();
    }

    [GeneratedRegex(@"\bC\d{1,2}\b")]
    private static partial Regex SeedCode();

    [Fact]
    public void Seed_claim_codes_stay_out_of_runtime_messages_and_json()
    {
        // Only string literals count: doc comments and tests may cite the claims (docs/claims.md).
        var found = SourceFiles(Path.Combine(Repo.Root, "src"))
            .SelectMany(path => CodeLines(path)
                .Where(l => Regex.Matches(l.Code, "\"(?:[^\"\\\\]|\\\\.)*\"").Any(s => SeedCode().IsMatch(s.Value)))
                .Select(l => $"{Relative(path)}:{l.Number}: {l.Code.Trim()}"))
            .ToList();

        Assert.True(found.Count == 0, "seed claim codes in strings in src/:\n" + string.Join('\n', found));
    }

    [Fact]
    public void No_file_in_the_repository_names_a_path_of_a_development_machine()
    {
        // Spelled in pieces, so this file does not name them itself.
        string[] outside = ["/" + "work/", "../" + "shared/"];
        string[] tracked = Repo.Run("git", ["-C", Repo.Root, "ls-files"]).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(tracked);
        var found = tracked
            .Where(f => !f.EndsWith(".png", StringComparison.Ordinal) && File.Exists(Path.Combine(Repo.Root, f)))
            .SelectMany(f => File.ReadLines(Path.Combine(Repo.Root, f)).Select((line, i) => (File: f, Number: i + 1, Line: line)))
            .Where(l => outside.Any(o => l.Line.Contains(o, StringComparison.Ordinal)))
            .Select(l => $"{l.File}:{l.Number}: {l.Line.Trim()}")
            .ToList();

        Assert.True(found.Count == 0, "paths outside the repository:\n" + string.Join('\n', found));
    }

    [GeneratedRegex(@"\[(Fact|Theory)(\((?<arguments>[^\]]*)\))?\]\s*(?:\[[^\]]*\]\s*)*public\s+async\s+(?:Task|ValueTask)\s+(?<name>\w+)")]
    private static partial Regex AsyncTest();

    [Fact]
    public void Every_async_test_has_a_timeout_so_a_hang_fails_it_instead_of_freezing_ci()
    {
        var found = SourceFiles(Path.Combine(Repo.Root, "tests"))
            .SelectMany(path => AsyncTest().Matches(File.ReadAllText(path))
                .Where(m => !m.Groups["arguments"].Value.Contains("Timeout", StringComparison.Ordinal))
                .Select(m => $"{Relative(path)}: {m.Groups["name"].Value}"))
            .ToList();

        Assert.True(found.Count == 0, "async tests without a Timeout:\n" + string.Join('\n', found));
    }
}
