using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Outlive.Tests.Support;

namespace Outlive.Tests.Cli;

/// <summary>
/// The NativeAOT binary as shipped: which glibc it needs (objdump -T lists every libc symbol it binds, with its version;
/// for this machine's binary and the linux-arm64 one) and what it opens at start-up (strace).
/// </summary>
public sealed partial class NativeBinaryTests : IDisposable
{
    private readonly Repo.ScratchDir _scratch = new();

    public void Dispose() => _scratch.Dispose();

    /// <summary>The published x64 (this machine's) binary.</summary>
    private static string PublishedCli() => Repo.Published(Repo.NativeCli);

    /// <summary>The published binary of <paramref name="build"/>: this machine's, or linux-arm64 cross-published on x86_64.</summary>
    private static string PublishedCli(string build) => build == "linux-arm64" ? Repo.PublishedArm64() : PublishedCli();

    [GeneratedRegex(@"\(?GLIBC_(?<version>\d+(?:\.\d+)+)\)?\s+(?<symbol>\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex VersionedSymbol();

    /// <summary>Every glibc symbol the binary binds at link time, with the version it needs.</summary>
    private static Dictionary<string, Version> GlibcSymbols(string binary)
    {
        var objdump = Repo.Run("objdump", ["-T", binary]);
        Assert.Equal(0, objdump.ExitCode);
        return VersionedSymbol().Matches(objdump.Stdout)
            .Select(m => (Symbol: m.Groups["symbol"].Value, Version: Version.Parse(m.Groups["version"].Value)))
            .GroupBy(s => s.Symbol)
            .ToDictionary(g => g.Key, g => g.Max(s => s.Version)!);
    }

    [Theory]
    [InlineData("native")]
    [InlineData("linux-arm64")]
    public void The_native_binary_needs_no_glibc_newer_than_2_34(string build)
    {
        var symbols = GlibcSymbols(PublishedCli(build));
        foreach (var group in symbols.GroupBy(s => s.Value, s => s.Key).OrderBy(g => g.Key))
            TestContext.Current.TestOutputHelper?.WriteLine($"GLIBC_{group.Key}: {string.Join(' ', group.Order())}");

        // Outlive's own calls are among them (DirectPInvoke), so the newest version covers them too.
        Assert.Contains("posix_spawn", symbols.Keys);
        Version newest = symbols.Values.Max()!;
        Assert.True(newest <= new Version(2, 34), $"needs GLIBC_{newest}: {string.Join(' ', symbols.Where(s => s.Value == newest).Select(s => s.Key))}");
    }

    [Theory]
    [InlineData("native")]
    [InlineData("linux-arm64")]
    public void Outlives_own_libc_calls_need_no_glibc_newer_than_2_28_and_the_newer_ones_are_bound_at_run_time(string build)
    {
        var symbols = GlibcSymbols(PublishedCli(build));
        string[] imported = [.. typeof(DetachedProcess).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => m.GetCustomAttribute<DllImportAttribute>())
            .Where(a => a?.Value == "libc")
            .Select(a => a!.EntryPoint!)
            .Distinct()];
        Assert.Contains("posix_spawn", imported);

        Assert.All(imported, name => Assert.True(symbols.ContainsKey(name), $"{name} is not bound at link time"));
        Assert.All(imported, name => Assert.True(symbols[name] <= new Version(2, 28), $"{name} needs GLIBC_{symbols[name]}"));
        Assert.DoesNotContain("posix_spawn_file_actions_addclosefrom_np", symbols.Keys);
        Assert.DoesNotContain("posix_spawn_file_actions_addchdir_np", symbols.Keys);
    }

    [GeneratedRegex(@"openat\([^,]*, ""(?<path>[^""]*)"".*= -1 ")]
    private static partial Regex FailedOpen();

    [Theory]
    [InlineData("--version")]
    [InlineData("run --escape setsid -- /bin/true")]
    public void The_native_binary_probes_for_no_library_at_start_up(string command)
    {
        string cli = PublishedCli();
        string trace = Path.Combine(_scratch.Path, "trace");
        var env = new Dictionary<string, string> { ["OUTLIVE_STATE_DIR"] = Path.Combine(_scratch.Path, "state") };

        var run = Repo.Run("strace", ["-f", "-qq", "-e", "trace=openat", "-o", trace, cli, .. command.Split(' ')], env);

        Assert.True(run.ExitCode == 0, run.Stderr);
        string[] opens = File.ReadAllLines(trace);
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join('\n', opens));
        Assert.Contains(opens, line => line.Contains("libc.so.6", StringComparison.Ordinal)); // strace did see the loader
        var libraryProbes = opens.Select(line => FailedOpen().Match(line)).Where(m => m.Success)
            .Select(m => m.Groups["path"].Value)
            .Where(path => Path.GetFileName(path).StartsWith("lib", StringComparison.Ordinal) || path.Contains(".so", StringComparison.Ordinal))
            .ToList();
        Assert.True(libraryProbes.Count == 0, "failed opens of libraries:\n" + string.Join('\n', libraryProbes));
        Assert.DoesNotContain(opens, line => line.Contains("libssl", StringComparison.Ordinal) || line.Contains("libcrypto", StringComparison.Ordinal));
    }
}
