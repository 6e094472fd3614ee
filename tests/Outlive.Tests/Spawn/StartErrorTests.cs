using Outlive.Interop;
using Outlive.Procfs;
using Outlive.Spawn;
using Outlive.Tests.Support;

namespace Outlive.Tests.Spawn;

/// <summary>Each bad input fails with its own exception, errno and path, and leaves no process behind.</summary>
[Collection(nameof(QuietProcess))]
public class StartErrorTests
{
    private static T FailsLeavingNothing<T>(DetachedStartInfo info) where T : ChildStartException
    {
        var before = ChildPids();
        var error = Assert.Throws<T>(() => DetachedProcess.Start(info));
        Thread.Sleep(50);
        Assert.Empty(ChildPids().Except(before));
        return error;
    }

    private static HashSet<int> ChildPids() =>
        [.. Children.AllStats().Where(s => s.ParentPid == Environment.ProcessId).Select(s => s.Pid)];

    [Fact]
    public void A_missing_program_is_not_found_by_name()
    {
        var e = FailsLeavingNothing<ProgramNotFoundException>(new DetachedStartInfo { Program = "no-such-program-42" });
        Assert.Equal(Libc.ENOENT, e.Errno);
        Assert.Contains("no-such-program-42", e.Message, StringComparison.Ordinal);
        Assert.Equal(127, ExitCodes.For(e));
    }

    [Fact]
    public void A_file_without_execute_permission_is_not_executable_and_named()
    {
        using var scratch = new Repo.ScratchDir();
        string file = Path.Combine(scratch.Path, "script.sh");
        File.WriteAllText(file, "#!/bin/sh\n");
        var e = FailsLeavingNothing<ProgramNotExecutableException>(new DetachedStartInfo { Program = file });
        Assert.Equal(file, e.Path);
        Assert.Equal(126, ExitCodes.For(e));
    }

    [Fact]
    public void A_script_whose_interpreter_is_missing_fails_in_exec_and_its_child_is_reaped()
    {
        using var scratch = new Repo.ScratchDir();
        string file = Path.Combine(scratch.Path, "script");
        File.WriteAllText(file, "#!/no/such/interpreter\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var e = FailsLeavingNothing<ProgramNotFoundException>(new DetachedStartInfo { Program = file });
        Assert.Equal(Libc.ENOENT, e.Errno);
        Assert.Contains("interpreter", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_working_directory_is_named()
    {
        var e = FailsLeavingNothing<ChildStartException>(new DetachedStartInfo { Program = "true", WorkingDirectory = "/no/such/dir" });
        Assert.Equal("/no/such/dir", e.Path);
        Assert.Equal(Libc.ENOENT, e.Errno);
        Assert.Equal(125, ExitCodes.For(e));
    }

    [Fact]
    public void An_unknown_user_is_named()
    {
        var e = FailsLeavingNothing<ChildStartException>(new DetachedStartInfo { Program = "true", User = "no-such-user-42" });
        Assert.Contains("no-such-user-42", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_output_file_in_a_missing_directory_is_named()
    {
        var e = FailsLeavingNothing<ChildStartException>(new DetachedStartInfo { Program = "true", StandardOutput = OutputTarget.AppendToFile("/no/such/dir/out.log") });
        Assert.Equal("/no/such/dir/out.log", e.Path);
    }

    [Fact]
    public void A_program_nobody_may_execute_fails_in_exec_as_not_executable()
    {
        Assert.SkipUnless(Environment.IsPrivilegedProcess, "starting as another user needs root");
        using var scratch = new Repo.ScratchDir();
        File.SetUnixFileMode(scratch.Path, (UnixFileMode)0b111_101_101);
        string file = Path.Combine(scratch.Path, "root-only");
        File.Copy("/bin/true", file);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var e = FailsLeavingNothing<ProgramNotExecutableException>(new DetachedStartInfo { Program = file, User = "nobody" });
        Assert.Equal(Libc.EACCES, e.Errno);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_FIFO_as_output_file_is_refused_at_once_with_or_without_a_reader(bool withReader)
    {
        using var scratch = new Repo.ScratchDir();
        string fifo = Path.Combine(scratch.Path, "out.fifo");
        Assert.Equal(0, Repo.Run("mkfifo", [fifo]).ExitCode);
        using var reader = withReader ? new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(
            TestLibc.open(fifo, 0x800 /* O_RDONLY | O_NONBLOCK */), ownsHandle: true), FileAccess.Read) : null;
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var e = FailsLeavingNothing<ChildStartException>(new DetachedStartInfo { Program = "true", StandardOutput = OutputTarget.AppendToFile(fifo) });

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
        Assert.Equal(fifo, e.Path);
        Assert.Contains(fifo, e.Message, StringComparison.Ordinal);
        Assert.Equal(125, ExitCodes.For(e));
    }

    [Fact]
    public void An_output_file_the_childs_user_may_not_write_is_named_as_the_output_not_blamed_on_the_program()
    {
        Assert.SkipUnless(Environment.IsPrivilegedProcess, "starting as another user needs root");
        using var scratch = new Repo.ScratchDir();
        File.SetUnixFileMode(scratch.Path, (UnixFileMode)0b111_000_000); // root only: nobody cannot create a file here
        string output = Path.Combine(scratch.Path, "out.log");

        var e = FailsLeavingNothing<ChildStartException>(new DetachedStartInfo { Program = "true", User = "nobody", StandardOutput = OutputTarget.AppendToFile(output) });

        Assert.IsNotType<ProgramNotExecutableException>(e);
        Assert.Equal(output, e.Path);
        Assert.Equal(Libc.EACCES, e.Errno);
        Assert.Equal(125, ExitCodes.For(e));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void A_working_directory_the_childs_user_may_not_enter_is_named_not_blamed_on_the_program()
    {
        Assert.SkipUnless(Environment.IsPrivilegedProcess, "starting as another user needs root");
        using var scratch = new Repo.ScratchDir();
        File.SetUnixFileMode(scratch.Path, (UnixFileMode)0b111_000_000);

        var e = FailsLeavingNothing<ChildStartException>(new DetachedStartInfo { Program = "true", User = "nobody", WorkingDirectory = scratch.Path });

        Assert.IsNotType<ProgramNotExecutableException>(e);
        Assert.Equal(scratch.Path, e.Path);
        Assert.Equal(125, ExitCodes.For(e));
    }
}
