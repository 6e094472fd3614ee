using System.Diagnostics;
using Outlive.Tests.Support;

namespace Outlive.Tests.Cli;

/// <summary>
/// `outlive logs` reads a file the child's user controls: whatever is put where the log was — a symlink to a secret,
/// a FIFO, another file — is refused in one line, and nothing of it is printed.
/// </summary>
public sealed class LogsHardeningTests : IDisposable
{
    private readonly CliRegistry _registry = new();

    public void Dispose() => _registry.Dispose();

    private string StartLogging(string name)
    {
        string log = _registry.PathOf($"{name}.log");
        _registry.Run(name, ["sh", "-c", "echo first; exec sleep 1000"], pidFile: null, stdout: log);
        Assert.True(Children.WaitUntil(() => File.Exists(log) && new FileInfo(log).Length > 0, TimeSpan.FromSeconds(10)));
        Assert.Equal("first\n", _registry.Outlive("logs", name).Stdout);
        return log;
    }

    [Fact]
    public void A_symlink_put_where_the_log_was_is_refused_and_the_secret_never_printed()
    {
        string log = StartLogging("linked");
        string secret = _registry.PathOf("shadow-like");
        File.WriteAllText(secret, "root:$6$secret\n");
        File.Delete(log);
        File.CreateSymbolicLink(log, secret);

        var logs = _registry.Outlive("logs", "linked");

        Assert.Equal(ExitCodes.PermissionDenied, logs.ExitCode);
        Assert.Equal($"outlive: {log} is a symlink now, not the file the child writes: refused; remove it\n", logs.Stderr);
        Assert.DoesNotContain("secret", logs.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_FIFO_put_where_the_log_was_is_refused_at_once()
    {
        string log = StartLogging("piped");
        File.Delete(log);
        Assert.Equal(0, Repo.Run("mkfifo", [log]).ExitCode);
        var clock = Stopwatch.StartNew();

        var logs = _registry.Outlive("logs", "piped");

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"logs took {clock.Elapsed}");
        Assert.Equal(ExitCodes.PermissionDenied, logs.ExitCode);
        Assert.Equal($"outlive: {log} is not a regular file: refused; remove it\n", logs.Stderr);
    }

    [Fact]
    public void Another_file_put_where_the_log_was_is_refused()
    {
        string log = StartLogging("swapped");
        File.Delete(log);
        File.WriteAllText(log, "not the child's\n");

        var logs = _registry.Outlive("logs", "swapped");

        Assert.Equal(ExitCodes.PermissionDenied, logs.ExitCode);
        Assert.Equal($"outlive: {log} is not the file the child was given (it was replaced since): refused; remove it\n", logs.Stderr);
        Assert.Equal("", logs.Stdout);
    }

    [Fact]
    public void Root_reads_the_output_of_a_child_that_runs_as_another_user_with_that_users_permissions()
    {
        Assert.SkipUnless(Environment.IsPrivilegedProcess, "starting as another user needs root");
        string dir = _registry.PathOf("shared");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111);
        string log = Path.Combine(dir, "nobody.log");
        _registry.Run("theirs", ["sh", "-c", "echo mine; exec sleep 1000"], pidFile: null, stdout: log, user: "nobody");
        Assert.True(Children.WaitUntil(() => File.Exists(log) && new FileInfo(log).Length > 0, TimeSpan.FromSeconds(10)));
        Assert.Equal("mine\n", _registry.Outlive("logs", "theirs").Stdout);

        // A file its user may not read (mode 000) is one root's logs must not read for them either.
        File.SetUnixFileMode(log, UnixFileMode.None);
        var logs = _registry.Outlive("logs", "theirs");

        Assert.Equal(1, logs.ExitCode);
        Assert.Equal($"outlive: cannot open {log}: Permission denied\n", logs.Stderr);
        Assert.Equal("", logs.Stdout);
    }
}
