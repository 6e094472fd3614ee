using Outlive.Tests.Support;

namespace Outlive.Tests.FrontDoor;

/// <summary>The public registry as a library user calls it: a real child, started, found, listed, stopped and pruned.</summary>
public sealed class ChildRegistryTests : IDisposable
{
    private readonly Repo.ScratchDir _dir = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string StateDir => Path.Combine(_dir.Path, "state");

    public void Dispose() => _dir.Dispose();

    [Fact(Timeout = 60_000)]
    public async Task A_child_started_by_name_is_found_listed_stopped_and_then_forgotten()
    {
        var registry = new ChildRegistry(StateDir);
        var start = new DetachedStartInfo { Program = "sleep", Arguments = ["300"] };

        LaunchedChild child = await registry.StartAsync(start, new EscapeOptions { Strategy = EscapeStrategy.Setsid, Force = true },
            new RegistrationOptions(Name: "napper"), Ct);

        Assert.Equal("napper", child.Name);
        RegisteredChild found = await new ChildRegistry(StateDir).GetAsync("napper", Ct);
        Assert.Equal((child.Pid, ChildState.Running, EscapeStrategy.Setsid), (found.Pid, found.State, found.Strategy));
        Assert.Equal(["sleep", "300"], found.Command);
        Assert.Equal("napper", Assert.Single(await registry.ListAsync(Ct)).Name);

        Assert.Equal(StopOutcome.Stopped, await registry.StopAsync("napper", timeout: TimeSpan.FromSeconds(10), cancellationToken: Ct));

        Assert.False(child.Identity!.IsAlive());
        Assert.Empty(await registry.ListAsync(Ct));
        await Assert.ThrowsAsync<ChildNotFoundException>(() => registry.GetAsync("napper", Ct));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_child_that_exited_is_listed_as_gone_until_pruned()
    {
        var registry = new ChildRegistry(StateDir);
        LaunchedChild child = await registry.StartAsync(new DetachedStartInfo { Program = "true" },
            new EscapeOptions { Strategy = EscapeStrategy.Setsid, Force = true }, new RegistrationOptions(Name: "brief"), Ct);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (child.Identity!.IsAlive() && DateTime.UtcNow < deadline)
            await Task.Delay(10, Ct);

        Assert.Equal(ChildState.Gone, (await registry.GetAsync("brief", Ct)).State);
        Assert.Equal("brief", Assert.Single(await registry.PruneAsync(Ct)).Name);
        Assert.Empty(await registry.ListAsync(Ct));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_state_directory_that_cannot_be_made_fails_with_an_Outlive_exception_not_a_raw_IO_error()
    {
        string file = Path.Combine(_dir.Path, "a-file");
        await File.WriteAllTextAsync(file, "", Ct);
        var registry = new ChildRegistry(Path.Combine(file, "state"));

        var error = await Assert.ThrowsAnyAsync<OutliveException>(() => registry.StartAsync(new DetachedStartInfo { Program = "true" }, cancellationToken: Ct));

        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_missing_program_is_refused_before_anything_starts_and_leaves_no_entry()
    {
        var registry = new ChildRegistry(StateDir);

        await Assert.ThrowsAsync<ProgramNotFoundException>(() => registry.StartAsync(new DetachedStartInfo { Program = "no-such-program-42" },
            new EscapeOptions { Strategy = EscapeStrategy.Setsid, Force = true }, cancellationToken: Ct));

        Assert.Empty(await registry.ListAsync(Ct));
        Assert.Equal([".lock"], Directory.GetFiles(StateDir).Select(Path.GetFileName));
    }
}
