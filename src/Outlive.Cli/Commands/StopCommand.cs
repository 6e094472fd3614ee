using System.CommandLine;
using System.Globalization;

namespace Outlive.Cli.Commands;

/// <summary><c>outlive stop NAME|PID [--signal S] [--timeout 10s] [--kill-after]</c>: exit 0 stopped, 1 still running.</summary>
internal static class StopCommand
{
    internal static Command Create()
    {
        var target = new Argument<string>("name-or-pid") { Description = "The child's name, or its PID." };
        var signal = new Option<string>("--signal", "-s")
        {
            Description = "The signal to send: TERM (default), INT, HUP, KILL, … or a number.", DefaultValueFactory = _ => "TERM",
        };
        var timeout = new Option<string>("--timeout") { Description = "How long to wait for the exit: 10s (default), 500ms, 2m, 36h, 1d.", DefaultValueFactory = _ => "10s" };
        var killAfter = new Option<bool>("--kill-after") { Description = "SIGKILL the child if it still runs after the timeout." };
        var stop = new Command(
            "stop",
            "Stop a registered child (its unit, for scope and service) and forget it: exit 0 stopped, 1 still running, 5 no such child, 7 not permitted, 11 stopped but its entry could not be removed.")
        {
            target, signal, timeout, killAfter,
        };
        stop.SetAction(async (parse, cancellationToken) =>
        {
            string signalText = parse.GetValue(signal)!;
            int signalNumber = SignalNames.TryParse(signalText)
                ?? throw new UsageException($"--signal '{signalText}' is not a signal: use a name like TERM, INT, KILL or a number from 1 to 64");
            TimeSpan wait = ParseDuration(parse.GetValue(timeout)!);
            ChildRegistry registry = StateDirOption.OpenRegistry(parse);
            RegisteredChild entry;
            try
            {
                entry = await registry.GetAsync(parse.GetValue(target)!, cancellationToken);
            }
            catch (ChildNotFoundException e)
            {
                // systemctl stop of a unit that is not loaded: 5.
                Printable.WriteError(e.Message);
                return ExitCodes.StopNoSuchChild;
            }
            StopOutcome outcome = await registry.StopAsync(entry, signalNumber, wait, parse.GetValue(killAfter), cancellationToken);
            string child = entry.Unit is null ? $"{entry.Name} (pid {entry.Pid})" : $"{entry.Name} (pid {entry.Pid}, {Printable.Of(entry.Unit)})";
            switch (outcome)
            {
                case StopOutcome.Stopped:
                    Console.Out.WriteLine($"stopped {child}");
                    return ExitCodes.Ok;
                case StopOutcome.Killed:
                    Console.Out.WriteLine($"killed {child}: still running {parse.GetValue(timeout)} after {signalText}");
                    return ExitCodes.Ok;
                case StopOutcome.AlreadyGone:
                    Console.Out.WriteLine($"{child} was not running; entry removed");
                    return ExitCodes.Ok;
                default:
                    Console.Error.WriteLine(
                        $"outlive: {child} still runs {parse.GetValue(timeout)} after {signalText}; add --kill-after to SIGKILL it, or a longer --timeout");
                    return ExitCodes.No;
            }
        });
        return stop;
    }

    /// <summary>500ms, 90s, 2m, 36h, 1d, or a bare number of seconds; at most 365 days.</summary>
    internal static TimeSpan ParseDuration(string text)
    {
        (string number, double unitSeconds) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1),
            _ when text.EndsWith('m') => (text[..^1], 60),
            _ when text.EndsWith('h') => (text[..^1], 3600),
            _ when text.EndsWith('d') => (text[..^1], 86_400),
            _ => (text, 1),
        };
        if (double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) && value * unitSeconds <= 365 * 86_400.0)
            return TimeSpan.FromSeconds(value * unitSeconds);
        throw new UsageException($"--timeout '{text}' is not a duration of at most 365 days: write it like 500ms, 90s, 2m, 36h or 1d");
    }
}
