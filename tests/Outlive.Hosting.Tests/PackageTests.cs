using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Outlive.Hosting.Tests;

/// <summary>
/// What a user gets from NuGet: <c>dotnet pack Outlive.slnx</c> makes the two libraries and nothing else; a fresh worker
/// project, whose Program.cs is the README's "Use it from your worker service" snippet, builds against them from a
/// local folder feed; the <c>outlive</c> tool installs from it and runs.
/// </summary>
public sealed partial class PackageTests : IDisposable
{
    private readonly Scratch _scratch = new();

    public void Dispose() => _scratch.Dispose();

    private static string Root { get; } = FindRoot();

    [Fact(Timeout = 900_000)]
    public async Task The_packages_are_the_two_libraries_a_worker_from_the_README_builds_against_them_and_the_tool_installs()
    {
        string feed = Directory.CreateDirectory(Path.Combine(_scratch.Path, "feed")).FullName;
        await DotnetAsync(Root, "pack", "Outlive.slnx", "-c", "Release", "-o", feed, "--nologo", "-v", "quiet");
        string[] packages = [.. Directory.EnumerateFiles(feed).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        Assert.Equal(["Outlive.0.1.0.nupkg", "Outlive.0.1.0.snupkg", "Outlive.Hosting.0.1.0.nupkg", "Outlive.Hosting.0.1.0.snupkg"], packages);

        // Restore caches a package by id and version: the copies an earlier run left would stand in for these.
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } set
            ? set
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string id in new[] { "outlive", "outlive.hosting", "outlive.cli" })
        {
            if (Directory.Exists(Path.Combine(cache, id, "0.1.0")))
                Directory.Delete(Path.Combine(cache, id, "0.1.0"), recursive: true);
        }

        // A worker outside the repository (no Directory.*.props of ours), its Program.cs the README's snippet.
        string worker = Directory.CreateDirectory(Path.Combine(_scratch.Path, "worker")).FullName;
        string versions = File.ReadAllText(Path.Combine(Root, "Directory.Packages.props"));
        string Version(string package) => Regex.Match(versions, $"Include=\"{Regex.Escape(package)}\" Version=\"([^\"]+)\"").Groups[1].Value;
        await File.WriteAllTextAsync(Path.Combine(worker, "Worker.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk.Worker">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Outlive.Hosting" Version="0.1.0" />
                <PackageReference Include="Microsoft.Extensions.Hosting" Version="{Version("Microsoft.Extensions.Hosting")}" />
                <PackageReference Include="Microsoft.Extensions.Hosting.Systemd" Version="{Version("Microsoft.Extensions.Hosting.Systemd")}" />
              </ItemGroup>
            </Project>
            """, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(worker, "nuget.config"), $"""
            <configuration>
              <packageSources>
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(worker, "Program.cs"), ReadmeSnippet("## Use it from your worker service"), TestContext.Current.CancellationToken);
        await DotnetAsync(worker, "build", "--nologo", "-v", "quiet");

        // The tool: packed on request, installed from the same feed, run.
        await DotnetAsync(Root, "pack", "src/Outlive.Cli", "-c", "Release", "-p:IsPackable=true", "-o", feed, "--nologo", "-v", "quiet");
        string tools = Path.Combine(_scratch.Path, "tools");
        await DotnetAsync(_scratch.Path, "tool", "install", "Outlive.Cli", "--version", "0.1.0", "--tool-path", tools, "--add-source", feed);
        (int exit, string output) = await RunAsync(Path.Combine(tools, "outlive"), _scratch.Path, "--version");
        Assert.Equal(0, exit);
        Assert.StartsWith("0.1.0", output.Trim(), StringComparison.Ordinal);
    }

    /// <summary>The first C# block after <paramref name="heading"/> in the README.</summary>
    private static string ReadmeSnippet(string heading)
    {
        string readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        int at = readme.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(at >= 0, $"README has no '{heading}'");
        int start = readme.IndexOf("```csharp\n", at, StringComparison.Ordinal) + "```csharp\n".Length;
        return readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];
    }

    private static async Task DotnetAsync(string directory, params string[] args)
    {
        (int exit, string output) = await RunAsync("dotnet", directory, args);
        Assert.True(exit == 0, $"dotnet {string.Join(' ', args)} exited {exit}:\n{output}");
    }

    private static async Task<(int Exit, string Output)> RunAsync(string program, string directory, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
            psi.ArgumentList.Add(arg);
        // A fresh worker must not pick up the test run's own MSBuild node or settings.
        psi.Environment["MSBUILDNOINPROCNODE"] = "1";
        psi.Environment.Remove("MSBuildExtensionsPath");
        psi.Environment.Remove("MSBuildSDKsPath");
        using Process process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Outlive.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Outlive.slnx not found above " + AppContext.BaseDirectory);
    }
}
