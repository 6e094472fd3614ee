using System.Diagnostics;

namespace Outlive.Bench;

internal static class Commands
{
    /// <summary>Runs a command to its end and returns its stdout; throws with its stderr when it fails.</summary>
    public static string RunToEnd(string program, IEnumerable<string> arguments)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
            psi.ArgumentList.Add(argument);
        using Process process = Process.Start(psi)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', psi.ArgumentList)} exited {process.ExitCode}: {stderr.Result.Trim()}");
        return stdout;
    }
}
