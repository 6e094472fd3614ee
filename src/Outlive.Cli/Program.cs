using System.CommandLine;
using Outlive.Cli;
using Outlive.Cli.Commands;

var root = new RootCommand(
    "Start processes that outlive their parent: detached from its session, and out of its systemd unit.\n\n" +
    ExitCodeHelp.Text)
{
    RunCommand.Create(),
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

ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
{
    foreach (var error in parsed.Errors)
        Console.Error.WriteLine($"outlive: {error.Message} (see 'outlive --help')");
    return ExitCodes.Usage;
}
try
{
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (OperationCanceledException)
{
    // Ctrl-C or SIGTERM while waiting: the shell's code for death by that signal, without a trace.
    return 130;
}
catch (Exception e)
{
    // Every error is one line and its documented exit code, never a stack trace.
    Console.Error.WriteLine($"outlive: {e.Message.ReplaceLineEndings(" ")}");
    return ExitCodes.For(e);
}
