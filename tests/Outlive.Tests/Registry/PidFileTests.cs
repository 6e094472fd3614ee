using Outlive.Tests.Support;
using Outlive.Interop;
using Outlive.Registry;

namespace Outlive.Tests.Registry;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
/// <remarks>
/// Runs alone: a child forked by a concurrent test shares a pid file's flock until its exec closes the fd,
/// and .NET's File.ReadAllText takes a non-blocking shared lock, so it would fail now and then.
/// </remarks>
[Collection(nameof(QuietProcess))]
public sealed class PidFileTests : IDisposable
{
    private readonly ScratchDir _dir = new();
    private readonly TestChild _other = TestChild.Sleeping();

    public void Dispose()
    {
        _other.Dispose();
        _dir.Dispose();
    }

    private string PidPath => _dir.PathOf("app.pid");

    [Fact]
    public void A_written_pid_file_holds_the_pid_and_a_newline_and_is_world_readable()
    {
        PidFile.Write(PidPath, 4242);

        Assert.Equal("4242\n", File.ReadAllText(PidPath));
        Assert.Equal(4242, PidFile.TryRead(PidPath));
        Assert.Equal(0644, Convert.ToInt32(Convert.ToString((int)File.GetUnixFileMode(PidPath), 8)));
        Assert.Equal(["app.pid"], Directory.GetFiles(_dir.Root).Select(Path.GetFileName));
    }

    [Fact]
    public void A_pid_file_naming_another_live_process_is_not_overwritten()
    {
        File.WriteAllText(PidPath, $"{_other.Pid}\n");

        var error = Assert.Throws<ConflictException>(() => PidFile.Write(PidPath, 4242));
        Assert.Equal(ExitCodes.Conflict, ExitCodes.For(error));
        Assert.Throws<ConflictException>(() => PidFile.EnsureAvailable(PidPath));
        Assert.Equal($"{_other.Pid}\n", File.ReadAllText(PidPath));
    }

    [Fact]
    public void A_stale_pid_file_is_replaced()
    {
        File.WriteAllText(PidPath, $"{int.MaxValue - 1}\n");

        PidFile.EnsureAvailable(PidPath);
        PidFile.Write(PidPath, _other.Pid);

        Assert.Equal($"{_other.Pid}\n", File.ReadAllText(PidPath));
    }

    [Fact]
    public void A_pid_file_locked_by_another_process_is_not_written()
    {
        File.WriteAllText(PidPath, "");
        using var holder = System.Diagnostics.Process.Start("flock", ["-x", PidPath, "sleep", "30"])!;
        try
        {
            WaitUntilLocked(PidPath);

            var error = Assert.Throws<ConflictException>(() => PidFile.Write(PidPath, 4242));
            Assert.Contains("locked", error.Message);
            Assert.Equal(0, new FileInfo(PidPath).Length);
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            holder.WaitForExit();
        }
    }

    [Fact]
    public void Remove_deletes_only_a_pid_file_that_still_names_the_pid()
    {
        PidFile.Write(PidPath, 4242);

        Assert.False(PidFile.Remove(PidPath, 4343));
        Assert.True(File.Exists(PidPath));
        Assert.True(PidFile.Remove(PidPath, 4242));
        Assert.False(File.Exists(PidPath));
    }

    [Fact]
    public void A_symlinked_pid_file_is_refused()
    {
        File.WriteAllText(_dir.PathOf("target"), "");
        File.CreateSymbolicLink(PidPath, _dir.PathOf("target"));

        Assert.Throws<ConflictException>(() => PidFile.Write(PidPath, 4242));
        Assert.Equal("", File.ReadAllText(_dir.PathOf("target")));
    }

    private static void WaitUntilLocked(string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            // Not File.OpenHandle: .NET flocks files itself to emulate FileShare.
            using var file = SecureFiles.Open(path, Libc.O_RDONLY, 0);
            if (Libc.flock((int)file.DangerousGetHandle(), Libc.LOCK_EX | Libc.LOCK_NB) != 0)
                return;
            Libc.flock((int)file.DangerousGetHandle(), Libc.LOCK_UN);
            Assert.True(DateTime.UtcNow < deadline, "flock(1) never took the lock");
            Thread.Sleep(10);
        }
    }
}
