namespace Outlive.SystemdBed.Bed;

/// <summary>Where the repository and its build output are, found from the test assembly's location.</summary>
public static class RepoLayout
{
    /// <summary>The folder holding Outlive.slnx, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The build output (UseArtifactsOutput): shared into the bed at the same path.</summary>
    public static string Artifacts => Path.Combine(Root, "artifacts");

    /// <summary>The exectest binary of the same configuration as these tests (artifacts/bin/ExecTest/&lt;config&gt;/exectest).</summary>
    public static string ExecTest =>
        Path.Combine(Artifacts, "bin", "ExecTest", new DirectoryInfo(AppContext.BaseDirectory).Name, "exectest");

    /// <summary>The library-caller test program (tests/Outlive.LibraryCaller): the library used as a service's own code uses it.</summary>
    public static string LibraryCaller =>
        Path.Combine(Artifacts, "bin", "Outlive.LibraryCaller", new DirectoryInfo(AppContext.BaseDirectory).Name, "library-caller");

    /// <summary>
    /// The <c>outlive</c> the bed runs: the NativeAOT binary users get (artifacts/publish/outlive, published by
    /// scripts/test before the tests) when it is no older than the built library, else the JIT build of the same
    /// configuration (which needs DOTNET_ROOT; the NativeAOT one ignores it).
    /// </summary>
    public static string Cli
    {
        get
        {
            string configuration = new DirectoryInfo(AppContext.BaseDirectory).Name;
            string native = Path.Combine(Artifacts, "publish", "outlive", "outlive");
            // Current when built from the library and the CLI's own code as they are now.
            string[] sources = [Path.Combine(Artifacts, "bin", "Outlive", configuration, "Outlive.dll"), Path.Combine(Artifacts, "bin", "Outlive.Cli", configuration, "Outlive.Cli.dll")];
            return File.Exists(native) && sources.All(source => File.GetLastWriteTimeUtc(native) >= File.GetLastWriteTimeUtc(source))
                ? native
                : Path.Combine(Artifacts, "bin", "Outlive.Cli", configuration, "outlive");
        }
    }

    /// <summary>The dotnet install that runs these tests; exectest in the bed uses the same one (DOTNET_ROOT).</summary>
    public static string DotnetRoot =>
        // .../dotnet/shared/Microsoft.NETCore.App/<version>/
        Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Outlive.slnx")))
                return dir.FullName;
        throw new InvalidOperationException($"no Outlive.slnx above {AppContext.BaseDirectory}");
    }
}
