using System.CommandLine;
using System.Globalization;
using System.Text;

namespace Outlive.Cli.Commands;

/// <summary><c>outlive ps [--all] [--json]</c>: the registered children, as a table or a JSON array.</summary>
internal static class PsCommand
{
    internal static Command Create()
    {
        var all = new Option<bool>("--all", "-a") { Description = "Also list children that have exited (until 'outlive prune')." };
        var json = new Option<bool>("--json") { Description = "Print a JSON array: the registry entries plus state and uptimeSeconds (README)." };
        var ps = new Command("ps", "List the children Outlive started: name, pid, strategy, unit, uptime, state, command.") { all, json };
        ps.SetAction(async (parse, cancellationToken) =>
        {
            var (children, problems) = await StateDirOption.OpenRegistry(parse).ListWithProblemsAsync(cancellationToken);
            foreach (var problem in problems)
                Console.Error.WriteLine($"outlive: {Printable.Of(problem.Path)} {problem.Reason}");
            bool withExited = parse.GetValue(all);
            var rows = children.Where(child => withExited || child.State != ChildState.Gone).ToList();
            DateTime now = DateTime.UtcNow;
            if (parse.GetValue(json))
            {
                using var writer = ChildJson.StdoutWriter();
                writer.WriteStartArray();
                foreach (RegisteredChild child in rows)
                    ChildJson.Write(writer, child, now);
                writer.WriteEndArray();
                writer.Flush();
                Console.Out.WriteLine();
            }
            else
            {
                // Not Console.Out: it would pass a table of thousands of rows to the kernel 256 bytes at a time.
                WriteTable(Console.OpenStandardOutput(), rows, now, withExited);
            }
            return ExitCodes.Ok;
        });
        return ps;
    }

    private const string Spaces = "                                ";

    /// <summary>Writes the table through a buffer: as one string, thousands of rows would be large objects made twice (UTF-16, then UTF-8).</summary>
    private static void WriteTable(Stream output, List<RegisteredChild> rows, DateTime now, bool withExitStatus)
    {
        string[] header = withExitStatus
            ? ["NAME", "PID", "STRATEGY", "UNIT", "UPTIME", "STATE", "EXIT", "COMMAND"]
            : ["NAME", "PID", "STRATEGY", "UNIT", "UPTIME", "STATE", "COMMAND"];
        var lines = new List<string[]>(rows.Count + 1) { header };
        var widths = new int[header.Length - 1];
        foreach (RegisteredChild e in rows)
        {
            string[] cells = new string[header.Length];
            cells[0] = e.Name;
            cells[1] = (e.CurrentPid ?? e.Pid).ToString(CultureInfo.InvariantCulture);
            cells[2] = Words.Of(e.Strategy);
            cells[3] = Printable.Of(e.Unit ?? "-");
            cells[4] = Uptime(now - e.StartedAtUtc);
            cells[5] = ChildJson.StateWord(e.State);
            // Known only for a service child (systemd records it); "-" says it is not known.
            if (withExitStatus)
                cells[6] = ExitWord(e.Exit);
            lines.Add(cells);
        }
        foreach (string[] line in lines)
        {
            for (int i = 0; i < widths.Length; i++)
                widths[i] = Math.Max(widths[i], line[i].Length);
        }
        using var text = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 64 * 1024);
        for (int row = 0; row < lines.Count; row++)
        {
            string[] line = lines[row];
            for (int i = 0; i < widths.Length; i++)
            {
                text.Write(line[i]);
                for (int pad = widths[i] - line[i].Length + 2; pad > 0; pad -= Spaces.Length)
                    text.Write(Spaces.AsSpan(0, Math.Min(pad, Spaces.Length)));
            }
            if (row == 0)
                text.Write(line[^1]);
            else
                WriteCommand(text, rows[row - 1].Command);
            text.Write('\n');
        }
    }

    /// <summary>The last column argument by argument: no joined copy per row (the space between needs no escape).</summary>
    private static void WriteCommand(StreamWriter text, IReadOnlyList<string> command)
    {
        for (int i = 0; i < command.Count; i++)
        {
            if (i > 0)
                text.Write(' ');
            text.Write(Printable.Of(command[i]));
        }
    }

    /// <summary>0, 1, … for an exit code, SIGKILL, … for a signal, "-" when it is not known.</summary>
    internal static string ExitWord(ExitStatus? exit) => exit switch
    {
        { Code: { } code } => code.ToString(CultureInfo.InvariantCulture),
        { Signal: { } signal } => "SIG" + (SignalNames.NameOf(signal) ?? signal.ToString(CultureInfo.InvariantCulture)),
        _ => "-",
    };

    /// <summary>Like ps's ELAPSED, short: 42s, 5m07s, 3h02m, 2d04h.</summary>
    internal static string Uptime(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
            span = TimeSpan.Zero;
        var c = CultureInfo.InvariantCulture;
        return span.TotalDays >= 1 ? string.Create(c, $"{(int)span.TotalDays}d{span.Hours:00}h")
            : span.TotalHours >= 1 ? string.Create(c, $"{(int)span.TotalHours}h{span.Minutes:00}m")
            : span.TotalMinutes >= 1 ? string.Create(c, $"{(int)span.TotalMinutes}m{span.Seconds:00}s")
            : string.Create(c, $"{(int)span.TotalSeconds}s");
    }
}
