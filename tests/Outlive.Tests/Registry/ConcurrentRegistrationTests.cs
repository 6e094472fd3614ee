using System.Diagnostics;
using System.Runtime.CompilerServices;
using Outlive.Registry;

namespace Outlive.Tests.Registry;

public sealed class ConcurrentRegistrationTests : IDisposable
{
    private const int Count = 100;
    private readonly ScratchDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task Hundred_threads_with_their_own_registry_registering_one_name_give_one_winner_and_99_conflicts()
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
                registry.RegisterAsync("web", self).GetAwaiter().GetResult();
                Interlocked.Increment(ref winners);
            }
            catch (ConflictException)
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
    public void Hundred_registrations_of_one_name_from_ten_processes_give_one_winner_and_99_conflicts()
    {
        int[] outcomes = RegistrationWorker.RunAll(_dir, Batches(_ => "web"));

        Assert.Equal(Count, outcomes.Length);
        Assert.Equal(1, outcomes.Count(c => c == 0));
        Assert.Equal(Count - 1, outcomes.Count(c => c == ExitCodes.Conflict));
        var listing = _dir.Registry().List();
        Assert.Equal("web", Assert.Single(listing.Entries).Name);
        Assert.Empty(listing.Problems);
    }

    [Fact]
    public void Hundred_registrations_of_distinct_names_from_ten_processes_give_100_parseable_entries_and_no_leftovers()
    {
        int[] outcomes = RegistrationWorker.RunAll(_dir, Batches(i => $"child-{i}"));

        Assert.Equal(Enumerable.Repeat(0, Count), outcomes);
        var listing = _dir.Registry().List();
        Assert.Empty(listing.Problems);
        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"child-{i}").Order(StringComparer.Ordinal), listing.Entries.Select(e => e.Name));
        Assert.All(listing.Entries, e => Assert.Equal(Environment.ProcessId, e.Pid));
        Assert.Equal(Count + 1, Directory.GetFiles(_dir.StateDir).Length); // the entries and .lock: no reservation, no temp file
    }

    /// <summary>Ten processes of ten registrations each: a runtime start costs ~0.3 s of CPU, too much to spend a hundred times.</summary>
    private static string[][] Batches(Func<int, string> name) =>
        [.. Enumerable.Range(0, 10).Select(p => Enumerable.Range(p * 10, 10).Select(name).ToArray())];
}

/// <summary>
/// Registers names from a separate process, one registry instance per name: the test host re-runs itself
/// with <see cref="Variable"/> set, and this module initializer does the work before xunit starts, printing one
/// outcome (0 or the exception's exit code) per name. The entries name the parent test host, which outlives the workers.
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
        string[] args = job.Split('\n'); // state dir, go file, pid to register, names
        var child = ProcessIdentity.TryCapture(int.Parse(args[2]))!;
        // One after another: threads started here would wait for this very module initializer to finish.
        var outcomes = args[3].Split(',').Select(name => Register(args[0], args[1], name, child)).ToList();
        Console.Out.Write(string.Join('\n', outcomes));
        Environment.Exit(0);
    }

    private static int Register(string stateDir, string goFile, string name, ProcessIdentity child)
    {
        while (!File.Exists(goFile))
            Thread.Sleep(20); // start together, once every worker is up
        try
        {
            new RegistryStore(stateDir).RegisterAsync(name, child).GetAwaiter().GetResult();
            return 0;
        }
        catch (ConflictException e)
        {
            return ExitCodes.For(e);
        }
    }

    /// <summary>Starts one worker per batch of names, releases them at once, and returns every registration's outcome.</summary>
    public static int[] RunAll(ScratchDir dir, string[][] batches)
    {
        string goFile = dir.PathOf("go");
        var workers = batches.Select(names => Start(dir.StateDir, goFile, names)).ToList();
        try
        {
            File.WriteAllText(goFile, "");
            var outputs = workers.Select(w => w.StandardOutput.ReadToEndAsync()).ToList();
            foreach (var worker in workers)
            {
                Assert.True(worker.WaitForExit(TimeSpan.FromMinutes(2)), $"worker {worker.Id} hangs");
                Assert.Equal(0, worker.ExitCode);
            }
            return [.. outputs.SelectMany(o => o.Result.Split('\n')).Select(int.Parse)];
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

    private static Process Start(string stateDir, string goFile, string[] names)
    {
        string host = Environment.ProcessPath!;
        var info = new ProcessStartInfo(host) { UseShellExecute = false, RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
            info.ArgumentList.Add(typeof(RegistrationWorker).Assembly.Location);
        info.Environment[Variable] = string.Join('\n', stateDir, goFile, Environment.ProcessId, string.Join(',', names));
        return Process.Start(info)!;
    }
}
