using Outlive.Registry;
using Outlive.Systemd;

namespace Outlive.Tests.Registry;

public sealed class SystemdChildUnitsTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ScratchDir _dir = new();
    private readonly TestChild _child = TestChild.Sleeping();

    public void Dispose()
    {
        _child.Dispose();
        _dir.Dispose();
    }

    [Fact(Timeout = 120_000)]
    public async Task An_entry_written_before_the_manager_was_recorded_still_reads_and_falls_back_to_the_users_manager()
    {
        var registry = _dir.Registry();
        await registry.RegisterAsync("old", _child.Identity);
        string path = Path.Combine(_dir.StateDir, "old.json");
        string withoutManager = string.Join('\n', File.ReadAllLines(path).Where(l => !l.Contains("\"manager\"", StringComparison.Ordinal)))
            .Replace("Z\",\n}", "Z\"\n}", StringComparison.Ordinal);
        File.WriteAllText(path, withoutManager);

        var entry = (await registry.FindAsync("old", Ct));

        Assert.Null(entry.Manager);
        Assert.Equal(Environment.UserName == "root" ? ManagerKind.System : ManagerKind.User, SystemdChildUnits.ManagerOf(entry));
        Assert.Equal(ManagerKind.User, SystemdChildUnits.ManagerOf(entry with { Manager = ManagerKind.User }));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_child_without_a_unit_is_left_to_the_process_check()
    {
        var units = new SystemdChildUnits();
        var registry = _dir.Registry(units.StateOfAsync);
        var entry = await registry.RegisterAsync("plain", _child.Identity);

        Assert.Null(await units.StateOfAsync(entry, Ct));
        Assert.Equal(ChildState.Running, await registry.GetStateAsync(entry, Ct));
    }

    [Fact]
    public void A_scope_entry_names_its_strategy_and_manager_in_the_words_systemctl_uses_and_reads_back()
    {
        var entry = new RegistryEntry(1, "s", 42, 7, "boot", EscapeStrategy.Scope, "outlive-s-1234abcd.scope", ["sleep", "1"], "/",
            null, null, null, 0, DateTime.UnixEpoch, ManagerKind.User);

        string json = System.Text.Json.JsonSerializer.Serialize(entry, RegistryJsonContext.Default.RegistryEntry);

        Assert.Contains("\"strategy\": \"scope\"", json, StringComparison.Ordinal);
        Assert.Contains("\"manager\": \"user\"", json, StringComparison.Ordinal);
        Assert.Equal(entry with { Command = entry.Command }, System.Text.Json.JsonSerializer.Deserialize(json, RegistryJsonContext.Default.RegistryEntry)! with { Command = entry.Command });
    }
}
