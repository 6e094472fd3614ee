using System.CommandLine;
using System.Runtime.InteropServices;
using Outlive.Cli;
using Outlive.Cli.Commands;

var root = new RootCommand(
    "Start processes that outlive their parent: detached from its session, and out of its systemd unit.\n\n" +
    ExitCodeHelp.Text)
{
    RunCommand.Create(),
    AdoptCommand.Create(),
    DoctorCommand.Create(),
    TreeCommand.Create(),
    FixUnitCommand.Create(),
    PsCommand.Create(),
    StatusCommand.Create(),
    StopCommand.Create(),
    LogsCommand.Create(),
    PruneCommand.Create(),
    StateDirOption.Option,
};

// No response files: "@file" is an ordinary argument (a program's argument is never rewritten).
ParseResult parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
if (parsed.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
{
    foreach (var error in parsed.Errors)
        Printable.WriteError($"{error.Message} (see 'outlive --help')");
    return ExitCodes.Usage;
}
// SIGINT and SIGTERM cancel the command instead of killing the process: a start in progress is undone (the held
// child never runs its program, a unit asked for is stopped, the reservation dropped), a stop stops waiting.
using var interrupted = new CancellationTokenSource();
int signalled = 0;
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
try
{
    return await parsed.InvokeAsync(
        new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, interrupted.Token);
}
catch (OperationCanceledException) when (signalled != 0)
{
    string undone = parsed.CommandResult.Command.Name == "run" ? "; nothing was started" : "";
    Printable.WriteError($"interrupted by {(signalled == 2 ? "SIGINT" : "SIGTERM")}{undone}");
    return 128 + signalled;
}
catch (Exception e)
{
    // Every error is one line and its documented exit code, never a stack trace.
    Printable.WriteError(e.Message);
    return ExitCodes.For(e);
}

void Interrupt(PosixSignalContext context)
{
    // The first signal cancels (a start is undone); a second one, while that undo hangs, ends the process as usual.
    bool first = Interlocked.CompareExchange(ref signalled, context.Signal == PosixSignal.SIGINT ? 2 : 15, 0) == 0;
    context.Cancel = first;
    if (first)
        interrupted.Cancel();
}
