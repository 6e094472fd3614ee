using System.Globalization;
using System.Runtime.InteropServices;

namespace Outlive.Bench;

/// <summary>
/// The C floor (spawn_baseline.c), built with gcc -O2 into the runner's work directory: as its own
/// program, and as a library whose timed call runs inside this process.
/// </summary>
internal sealed unsafe class NativeBaseline
{
    private readonly string _executable;
    private readonly delegate* unmanaged<long> _callInProcess;

    private NativeBaseline(string executable, delegate* unmanaged<long> callInProcess)
    {
        _executable = executable;
        _callInProcess = callInProcess;
    }

    public static NativeBaseline Build(BenchSettings settings)
    {
        string source = Path.Combine(AppContext.BaseDirectory, "spawn_baseline.c");
        string executable = Path.Combine(settings.WorkDirectory, "spawn_baseline");
        string library = Path.Combine(settings.WorkDirectory, "libspawn_baseline.so");
        Commands.RunToEnd("gcc", ["-O2", "-Wall", "-Wextra", "-Werror", "-o", executable, source, "-lpthread"]);
        Commands.RunToEnd("gcc", ["-O2", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared", "-DSPAWN_BASELINE_LIBRARY", "-o", library, source]);
        nint call = NativeLibrary.GetExport(NativeLibrary.Load(library), "spawn_baseline_call_ns");
        return new NativeBaseline(executable, (delegate* unmanaged<long>)call);
    }

    /// <summary>µs until posix_spawn returned, one per call, timed by the C code inside this process.</summary>
    public IReadOnlyList<double> TimeCallsInProcess(int calls)
    {
        var samples = new double[calls];
        for (int i = 0; i < calls; i++)
            samples[i] = _callInProcess() / 1000.0;
        return samples;
    }

    /// <summary>µs until posix_spawn returned, one per call, as timed by the C program itself.</summary>
    public IReadOnlyList<double> TimeCalls(int calls) =>
        [.. Lines(Commands.RunToEnd(_executable, ["calls", Invariant(calls)])).Select(ns => ns / 1000.0)];

    /// <summary>µs per run of the whole command <paramref name="argv"/> (output dropped), timed by the C program like `hyperfine -N`.</summary>
    public IReadOnlyList<double> TimeCommand(int runs, params string[] argv) =>
        [.. Lines(Commands.RunToEnd(_executable, ["command", Invariant(runs), .. argv])).Select(ns => ns / 1000.0)];

    /// <summary>Wall-clock µs per child for <paramref name="threads"/> loops of start-and-wait.</summary>
    public double MicrosecondsPerChild(int threads, int perThread) =>
        Lines(Commands.RunToEnd(_executable, ["throughput", Invariant(threads), Invariant(perThread)])).Single() / 1000.0 / (threads * perThread);

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<double> Lines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => double.Parse(line, CultureInfo.InvariantCulture));
}
