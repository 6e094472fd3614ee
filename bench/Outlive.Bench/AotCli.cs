namespace Outlive.Bench;

/// <summary>The NativeAOT <c>outlive</c> command, published into artifacts/bench/outlive-aot unless it is newer than every source it is built from.</summary>
internal static class AotCli
{
    /// <summary>The command's path, after publishing it if it is missing or older than a source.</summary>
    public static string PublishIfStale(BenchSettings settings)
    {
        string output = System.IO.Path.Combine(settings.WorkDirectory, "outlive-aot");
        string command = System.IO.Path.Combine(output, "outlive");
        if (!File.Exists(command) || File.GetLastWriteTimeUtc(command) < NewestSource(settings.RepoRoot))
        {
            Console.Error.Write("(publishing NativeAOT outlive) ");
            Commands.RunToEnd("dotnet", ["publish", System.IO.Path.Combine(settings.RepoRoot, "src", "Outlive.Cli"), "-c", "Release", "-o", output]);
        }
        return command;
    }

    private static DateTime NewestSource(string repoRoot)
    {
        string[] sources = ["src/Outlive", "src/Outlive.Cli"];
        string[] buildFiles = ["Directory.Build.props", "Directory.Packages.props"];
        return sources
            .SelectMany(dir => Directory.EnumerateFiles(System.IO.Path.Combine(repoRoot, dir), "*", SearchOption.AllDirectories))
            .Where(file => file.EndsWith(".cs", StringComparison.Ordinal) || file.EndsWith(".csproj", StringComparison.Ordinal))
            .Concat(buildFiles.Select(file => System.IO.Path.Combine(repoRoot, file)).Where(File.Exists))
            .Max(File.GetLastWriteTimeUtc);
    }
}
