using System.Diagnostics;
using System.Runtime.CompilerServices;
using Outlive.Registry;

namespace Outlive.Tests.Registry;

public sealed class ConcurrentRegistrationTests : IDisposable
{
    private const int Count = 100;
    private readonly ScratchDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Hundred_threads_with_their_own_registry_registering_one_name_give_one_winner_and_99_conflicts()
    {
        var self = ProcessIdentity.TryCapture(Environment.ProcessId)!;
        int winners = 0, conflicts = 0;
        using var barrier = new Barrier(Count);
        var threads = Enumerable.Range(0, Count).Select(_ => new Thread(() =>
        {
            var registry = _dir.Registry();
            barrier.SignalAndWait();
            try
            {
                registry.Register("web", self);
                Interlocked.Increment(ref winners);
            }
            catch (ChildNameConflictException)
            {
                Interlocked.Increment(ref conflicts);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal((1, Count - 1), (winners, conflicts));
        Assert.Equal("web", Assert.Single(_dir.Registry().List().Entries).Name);
    }

    [Fact]
    public void Processes_registering_one_name_give_one_winner_and_conflicts_for_all_others()
    {
        // 25, not 100: a runtime start costs ~0.3 s of CPU each; the 100-way race runs in threads above.
        const int processes = 25;
        int[] exitCodes = RegistrationWorker.RunAll(_dir, Enumerable.Repeat("web", processes));

        Assert.Equal(1, exitCodes.Count(c => c == 0));
        Assert.Equal(processes - 1, exitCodes.Count(c => c == ExitCodes.Conflict));
        var listing = _dir.Registry().List();
        Assert.Equal("web", Assert.Single(listing.Entries).Name);
        Assert.Empty(listing.Problems);
    }

    [Fact]
    public void Hundred_processes_registering_distinct_names_give_100_parseable_entries_and_no_leftovers()
    {
        string[] names = [.. Enumerable.Range(0, Count).Select(i => $"child-{i}")];

        int[] exitCodes = RegistrationWorker.RunAll(_dir, names);

        Assert.All(exitCodes, c => Assert.Equal(0, c));
        var listing = _dir.Registry().List();
        Assert.Empty(listing.Problems);
        Assert.Equal(names.Order(StringComparer.Ordinal), listing.Entries.Select(e => e.Name));
        Assert.All(listing.Entries, e => Assert.Equal(Environment.ProcessId, e.Pid));
        Assert.Equal(Count + 1, Directory.GetFiles(_dir.StateDir).Length); // the entries and .lock: no reservation, no temp file
    }
}

/// <summary>
/// Registers one name from a separate process: the test host re-runs itself with <see cref="Variable"/> set, and this
/// module initializer does the work before xunit starts. The entry names the parent test host, which outlives the workers.
/// </summary>
internal static class RegistrationWorker
{
    private const string Variable = "OUTLIVE_TEST_REGISTRATION_WORKER";

#pragma warning disable CA2255 // a module initializer is how a test host process becomes a worker before xunit's Main runs
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RunIfAsked()
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { } job)
            return;
        string[] args = job.Split('\n'); // state dir, name, go file, pid to register
        while (!File.Exists(args[2]))
            Thread.Sleep(20); // start together, once every worker is up
        var child = ProcessIdentity.TryCapture(int.Parse(args[3]))!;
        try
        {
            new ChildRegistry(args[0]).Register(args[1], child);
            Environment.Exit(0);
        }
        catch (ChildNameConflictException e)
        {
            Environment.Exit(e.ExitCode);
        }
    }

    /// <summary>Starts one worker per name, releases them at once, and returns their exit codes.</summary>
    public static int[] RunAll(ScratchDir dir, IEnumerable<string> names)
    {
        string goFile = dir.PathOf("go");
        var workers = names.Select(name => Start(dir.StateDir, name, goFile)).ToList();
        try
        {
            File.WriteAllText(goFile, "");
            foreach (var worker in workers)
                Assert.True(worker.WaitForExit(TimeSpan.FromMinutes(2)), $"worker {worker.Id} hangs");
            return [.. workers.Select(w => w.ExitCode)];
        }
        finally
        {
            foreach (var worker in workers)
            {
                if (!worker.HasExited)
                    worker.Kill();
                worker.WaitForExit();
                worker.Dispose();
            }
        }
    }

    private static Process Start(string stateDir, string name, string goFile)
    {
        string host = Environment.ProcessPath!;
        var info = new ProcessStartInfo(host) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
            info.ArgumentList.Add(typeof(RegistrationWorker).Assembly.Location);
        info.Environment[Variable] = string.Join('\n', stateDir, name, goFile, Environment.ProcessId);
        return Process.Start(info)!;
    }
}
