using System.ComponentModel;
using System.Diagnostics;

namespace Outlive.Tests.Support;

/// <summary>Paths in the checkout and its build output, found from the test assembly's own location.</summary>
internal static class Repo
{
    internal static string Root { get; } = FindRoot();

    /// <summary>debug or release: whatever this test assembly was built as.</summary>
    internal static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Name;

    /// <summary>
    /// The <c>outlive</c> the CLI tests run: the NativeAOT binary users get when it is built from the current library
    /// (scripts/test, and so CI, publishes it before the tests), else the JIT build, for a fast inner loop.
    /// </summary>
    internal static string Cli => NativeCliIsCurrent ? NativeCli : JitCli;

    /// <summary>The JIT-built <c>outlive</c> apphost.</summary>
    internal static string JitCli => Path.Combine(Root, "artifacts", "bin", "Outlive.Cli", Configuration, "outlive");

    /// <summary>Whether <see cref="NativeCli"/> exists and is no older than the built library and the built CLI's own code.</summary>
    internal static bool NativeCliIsCurrent => File.Exists(NativeCli)
        && File.GetLastWriteTimeUtc(NativeCli) >= File.GetLastWriteTimeUtc(Library)
        && File.GetLastWriteTimeUtc(NativeCli) >= File.GetLastWriteTimeUtc(Path.Combine(Path.GetDirectoryName(JitCli)!, "Outlive.Cli.dll"));

    /// <summary>The NativeAOT <c>outlive</c>, the binary users get: scripts/test publishes it here before the tests run.</summary>
    internal static string NativeCli => Path.Combine(Root, "artifacts", "publish", "outlive", "outlive");

    /// <summary>The linux-arm64 NativeAOT <c>outlive</c>: scripts/test cross-publishes it here on x86_64, for tests that run it under qemu-user.</summary>
    internal static string NativeArm64Cli => Path.Combine(Root, "artifacts", "publish", "outlive-arm64", "outlive");

    /// <summary>Under CI, what a test needs and scripts/test provides must be there: a missing one fails instead of skipping.</summary>
    internal static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>A published binary; the test skips without one (or with one older than the library), and fails under CI.</summary>
    internal static string Published(string binary)
    {
        string? missing = !File.Exists(binary) ? $"no NativeAOT binary at {binary}"
            : File.GetLastWriteTimeUtc(binary) < File.GetLastWriteTimeUtc(Library) ? $"{binary} is older than {Library}"
            : null;
        if (missing is not null)
        {
            Assert.False(IsCi, $"{missing}: scripts/test publishes it");
            Assert.Skip($"{missing}: run scripts/test, which publishes it");
        }
        return binary;
    }

    /// <summary>The published arm64 binary, on x86_64 machines: elsewhere scripts/test does not cross-publish it.</summary>
    internal static string PublishedArm64()
    {
        Assert.SkipUnless(System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64,
            "scripts/test cross-publishes the arm64 binary on x86_64 only");
        return Published(NativeArm64Cli);
    }

    /// <summary>qemu-user with arm64's glibc (libc6-dev-arm64-cross), as scripts/install-deps installs them: runs an aarch64 program here.</summary>
    internal static Result RunArm64(string program, IEnumerable<string> args)
    {
        try
        {
            return Run("qemu-aarch64-static", ["-L", "/usr/aarch64-linux-gnu", program, .. args]);
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run qemu-aarch64-static ({e.Message}); scripts/install-deps installs qemu-user-static", e);
        }
    }

    /// <summary>The library as this test assembly was built with it.</summary>
    internal static string Library => Path.Combine(Root, "artifacts", "bin", "Outlive", Configuration, "Outlive.dll");

    /// <summary>The seed's exectest: a long-lived parent that starts one child by a chosen method.</summary>
    internal static string ExecTest => Path.Combine(Root, "artifacts", "bin", "ExecTest", Configuration, "exectest");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Outlive.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Outlive.slnx not found above " + AppContext.BaseDirectory);
    }

    internal sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs a command to its end with optional extra environment; stdin is /dev/null.</summary>
    internal static Result Run(string program, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string arg in args)
            psi.ArgumentList.Add(arg);
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
            psi.Environment[k] = v;
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish in 60 s");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>A fresh directory under /var/tmp (never the machine's /tmp), removed by Dispose.</summary>
    internal sealed class ScratchDir : IDisposable
    {
        public string Path { get; } = Directory.CreateDirectory($"/var/tmp/outlive-tests-{Guid.NewGuid():N}").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
