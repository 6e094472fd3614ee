using System.CommandLine;
using Outlive;
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
    // Outlive's own errors become one line and their documented exit code, not a stack trace.
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (OutliveException e)
{
    Console.Error.WriteLine($"outlive: {e.Message}");
    return e.ExitCode;
}
