namespace Outlive.Cli;

/// <summary>The exit-code table shown by --help; README repeats it.</summary>
internal static class ExitCodeHelp
{
    internal const string Text =
        "Exit codes:\n" +
        "  0    ok (status: running)\n" +
        "  1    a check said no (doctor: a child would not survive; stop: still running; status: dead, PID file left), or an I/O error\n" +
        "  2    usage error\n" +
        "  3    status: not running\n" +
        "  4    status: unknown\n" +
        "  5    refused: no strategy keeps the child alive here; nothing was started (stop: no such child)\n" +
        "  6    systemd or its D-Bus API not reachable\n" +
        "  7    permission denied\n" +
        "  8    conflict: name or unit taken, or a systemd job failed\n" +
        "  9    no such child in the registry (status: 4, stop: 5), unit or process\n" +
        "  10   run --escape service: the program exited right after it started\n" +
        "  11   stop: stopped, but the entry could not be removed\n" +
        "  125  the child could not be started (working directory, user, output file)\n" +
        "  126  program not executable\n" +
        "  127  program not found\n" +
        "  130, 143  interrupted by SIGINT, SIGTERM (a start in progress is undone)";
}
