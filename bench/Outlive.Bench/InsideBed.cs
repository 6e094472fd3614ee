using System.Diagnostics;
using System.Globalization;

namespace Outlive.Bench;

/// <summary>
/// The runner's hidden mode (<c>--inside-bed</c>), run inside the systemd bed by <see cref="InsideBedProcess"/>.
/// It reads one request per line from stdin, <c>CASE&lt;TAB&gt;N[&lt;TAB&gt;ARG…]</c>, runs the case N times
/// and answers with N samples in µs, one per line, then an empty line. One process serves every request
/// of a run, so the in-process case is measured warm and the cases take turns in the same process.
/// </summary>
internal static class InsideBed
{
    public const string Flag = "--inside-bed";

    /// <summary>µs until <c>Launcher.StartAsync</c> (/bin/true, escape = scope) returns: the child is in its scope and released.</summary>
    public const string LibraryScopeEscape = "library-scope-escape";

    /// <summary>µs from starting the command (the ARGs) until it exited 0; its output is read and dropped.</summary>
    public const string Command = "command";

    public static async Task<int> ServeAsync(TextReader requests, TextWriter answers)
    {
        while (await requests.ReadLineAsync() is { } request)
        {
            string[] fields = request.Split('\t');
            int count = int.Parse(fields[1], CultureInfo.InvariantCulture);
            var samples = new List<double>(count);
            for (int i = 0; i < count; i++)
            {
                samples.Add(fields[0] switch
                {
                    LibraryScopeEscape => await TimeLibraryScopeEscapeAsync(),
                    Command => await TimeCommandAsync(fields[2], fields[3..]),
                    _ => throw new ArgumentException($"unknown case '{fields[0]}'"),
                });
            }
            foreach (double sample in samples)
                await answers.WriteLineAsync(sample.ToString("R", CultureInfo.InvariantCulture));
            await answers.WriteLineAsync();
            await answers.FlushAsync();
        }
        return 0;
    }

    private static readonly DetachedStartInfo True = new() { Program = "/bin/true" };
    private static readonly EscapeOptions Scope = new() { Strategy = EscapeStrategy.Scope, Name = "bench" };

    private static async Task<double> TimeLibraryScopeEscapeAsync()
    {
        long start = Stopwatch.GetTimestamp();
        LaunchedChild child = await Launcher.StartAsync(True, Scope);
        double elapsed = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        if (child.Strategy != EscapeStrategy.Scope)
            throw new InvalidOperationException($"expected a scope, got {child.Strategy}: {child.Reason}");
        return elapsed;
    }

    private static async Task<double> TimeCommandAsync(string program, string[] arguments)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
            psi.ArgumentList.Add(argument);
        long start = Stopwatch.GetTimestamp();
        using Process process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        double elapsed = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        await stdout;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {(await stderr).Trim()}");
        return elapsed;
    }
}
