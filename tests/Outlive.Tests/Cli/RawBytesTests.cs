using System.Text;
using Outlive.Tests.Support;

namespace Outlive.Tests.Cli;

/// <summary>
/// argv (argv[0] included) and the environment reach the child as the bytes `outlive run` got: not UTF-8, empty
/// strings, '=' in values, names a shell would drop. The children write what they got into files that are compared
/// byte for byte. A shell builds the bytes, since .NET cannot pass an argument that is not UTF-8.
/// </summary>
public sealed class RawBytesTests : IDisposable
{
    private readonly CliRegistry _registry = new();

    public void Dispose() => _registry.Dispose();

    /// <param name="launch">What execs outlive ("$0"): by default the shell itself.</param>
    private byte[] RunAndRead(string output, string outliveArguments, string launch = "exec")
    {
        string script = $"{launch} \"$0\" run --state-dir {_registry.StateDir} --stdout {output} -- {outliveArguments}";
        var run = Repo.Run("/bin/sh", ["-c", script, Repo.Cli]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.True(Children.WaitUntil(() => File.Exists(output) && new FileInfo(output).Length > 0, TimeSpan.FromSeconds(10)), $"{output} stayed empty");
        Thread.Sleep(100); // let the child finish writing
        return File.ReadAllBytes(output);
    }

    [Fact]
    public void Arguments_that_are_not_UTF8_and_empty_ones_arrive_byte_for_byte()
    {
        string output = _registry.PathOf("args");

        byte[] got = RunAndRead(output, "printf '%s|%s|%s' \"$(printf '\\377\\376')\" '' 'a=b'");

        Assert.Equal([0xFF, 0xFE, (byte)'|', (byte)'|', (byte)'a', (byte)'=', (byte)'b'], got);
    }

    [Fact]
    public void The_programs_argv0_is_what_was_asked_not_the_resolved_path()
    {
        string output = _registry.PathOf("cmdline");

        byte[] got = RunAndRead(output, "cat /proc/self/cmdline");

        Assert.Equal("cat\0/proc/self/cmdline\0", Encoding.UTF8.GetString(got));
    }

    [Fact]
    public void Environment_entries_that_are_not_UTF8_or_that_a_shell_would_drop_arrive_byte_for_byte()
    {
        string output = _registry.PathOf("env");

        byte[] got = RunAndRead(output, "env",
            launch: "RAW=\"$(printf '\\377x')\"; export RAW; exec env 'BASH_FUNC_f%%=() {  echo hi; }' '1NUM=one' 'EMPTY=' 'EQ=a=b'");

        byte[][] entries = [.. Split(got)];
        Assert.Contains(entries, e => e.AsSpan().SequenceEqual("RAW="u8.ToArray().Concat(new byte[] { 0xFF, (byte)'x' }).ToArray()));
        Assert.Contains(entries, e => e.AsSpan().SequenceEqual("BASH_FUNC_f%%=() {  echo hi; }"u8));
        Assert.Contains(entries, e => e.AsSpan().SequenceEqual("1NUM=one"u8));
        Assert.Contains(entries, e => e.AsSpan().SequenceEqual("EMPTY="u8));
        Assert.Contains(entries, e => e.AsSpan().SequenceEqual("EQ=a=b"u8));
    }

    private static IEnumerable<byte[]> Split(byte[] text)
    {
        int start = 0;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == (byte)'\n')
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
    }
}
