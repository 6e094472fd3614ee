using System.Text.Json;
using Outlive.Tests.Support;

namespace Outlive.Tests.Cli;

/// <summary>
/// A scratch state dir under /var/tmp for driving the built <c>outlive</c> (or another build of it); on dispose, every
/// child still registered there is SIGKILLed (by identity, never a recycled pid) and the dir is deleted.
/// </summary>
internal sealed class CliRegistry(Func<string[], Repo.Result>? outlive = null) : IDisposable
{
    private readonly Repo.ScratchDir _scratch = new();
    private readonly Func<string[], Repo.Result> _outlive = outlive ?? (args => Repo.Run(Repo.Cli, args));

    public string Root => _scratch.Path;

    public string StateDir => System.IO.Path.Combine(_scratch.Path, "state");

    public string PathOf(string name) => System.IO.Path.Combine(_scratch.Path, name);

    /// <summary><c>outlive COMMAND --state-dir DIR ARGS…</c></summary>
    public Repo.Result Outlive(string command, params string[] args) => _outlive([command, "--state-dir", StateDir, .. args]);

    /// <summary>Starts <c>sleep 1000</c> (or <paramref name="program"/>) under <paramref name="name"/>; returns its identity.</summary>
    public ProcessIdentity Run(string name, params string[] program) => Run(name, program, pidFile: null);

    public ProcessIdentity Run(string name, string[] program, string? pidFile, string? stdout = null, string? user = null)
    {
        string[] options = ["--name", name, "--json", .. pidFile is null ? Array.Empty<string>() : ["--pidfile", pidFile],
            .. stdout is null ? Array.Empty<string>() : ["--stdout", stdout], .. user is null ? Array.Empty<string>() : ["--uid", user]];
        var result = Outlive("run", [.. options, "--", .. program.Length == 0 ? ["sleep", "1000"] : program]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.Equal(name, root.GetProperty("name").GetString());
        return new ProcessIdentity(root.GetProperty("pid").GetInt32(), root.GetProperty("startTime").GetUInt64(), root.GetProperty("bootId").GetString()!);
    }

    /// <summary>The entries <c>ps --all --json</c> lists.</summary>
    public List<JsonElement> Ps()
    {
        var result = Outlive("ps", "--all", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        return [.. json.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    public static ProcessIdentity IdentityOf(JsonElement entry) =>
        new(entry.GetProperty("pid").GetInt32(), entry.GetProperty("startTimeTicks").GetUInt64(), entry.GetProperty("bootId").GetString()!);

    public void Dispose()
    {
        if (Directory.Exists(StateDir))
        {
            foreach (var entry in Ps())
                Children.Kill(IdentityOf(entry));
        }
        _scratch.Dispose();
    }
}
