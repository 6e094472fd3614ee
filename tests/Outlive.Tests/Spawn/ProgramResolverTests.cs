using Outlive.Spawn;
using Outlive.Tests.Support;

namespace Outlive.Tests.Spawn;

public class ProgramResolverTests
{
    [Fact]
    public void A_name_is_found_in_the_first_PATH_directory_that_has_it_executable()
    {
        using var scratch = new Repo.ScratchDir();
        string notExec = Directory.CreateDirectory(Path.Combine(scratch.Path, "a")).FullName;
        string exec = Directory.CreateDirectory(Path.Combine(scratch.Path, "b")).FullName;
        File.WriteAllText(Path.Combine(notExec, "tool"), "");
        File.Copy("/bin/true", Path.Combine(exec, "tool"));

        Assert.Equal(Path.Combine(exec, "tool"), ProgramResolver.Resolve("tool", $"{notExec}:{exec}", "/"));
    }

    [Fact]
    public void A_name_found_only_without_execute_permission_is_reported_as_not_executable()
    {
        using var scratch = new Repo.ScratchDir();
        File.WriteAllText(Path.Combine(scratch.Path, "tool"), "");
        var e = Assert.Throws<ProgramNotExecutableException>(() => ProgramResolver.Resolve("tool", scratch.Path, "/"));
        Assert.Equal(Path.Combine(scratch.Path, "tool"), e.Path);
    }

    [Fact]
    public void An_empty_PATH_entry_and_a_relative_path_mean_the_working_directory()
    {
        using var scratch = new Repo.ScratchDir();
        File.Copy("/bin/true", Path.Combine(scratch.Path, "tool"));
        Assert.Equal(Path.Combine(scratch.Path, "tool"), ProgramResolver.Resolve("tool", ":/nonexistent", scratch.Path));
        Assert.Equal(Path.Combine(scratch.Path, "tool"), ProgramResolver.Resolve("./tool", "/usr/bin", scratch.Path));
    }

    [Fact]
    public void A_directory_is_not_a_program()
    {
        Assert.Throws<ProgramNotExecutableException>(() => ProgramResolver.Resolve("/usr", null, "/"));
    }

    [Fact]
    public void An_empty_program_name_is_refused()
    {
        Assert.Throws<ProgramNotFoundException>(() => ProgramResolver.Resolve("", null, "/"));
    }
}
