namespace Outlive.Cli;

/// <summary>The exit-code table shown by --help; README repeats it.</summary>
internal static class ExitCodeHelp
{
    internal const string Text =
        "Exit codes:\n" +
        "  0    ok (status: running)\n" +
        "  1    a check said no (doctor: a child would not survive; stop: still running), or an I/O error\n" +
        "  2    usage error\n" +
        "  3    status: not running\n" +
        "  4    status: unknown\n" +
        "  5    refused: no strategy keeps the child alive here; nothing was started\n" +
        "  6    systemd or its D-Bus API not reachable\n" +
        "  7    permission denied\n" +
        "  8    conflict: name or unit taken, or a systemd job failed\n" +
        "  9    no such child in the registry\n" +
        "  10   run --escape service: the program exited right after it started\n" +
        "  125  the child could not be started (working directory, user, output file)\n" +
        "  126  program not executable\n" +
        "  127  program not found";
}
