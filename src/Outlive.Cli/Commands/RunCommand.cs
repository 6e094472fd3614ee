using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Outlive.Cli.Commands;

/// <summary><c>outlive run [options] -- PROGRAM [ARGS…]</c>: start a detached child and return at once.</summary>
internal static class RunCommand
{
    internal static Command Create()
    {
        var cwd = new Option<string?>("--cwd") { Description = "Working directory of the child (default: the current one)." };
        var sameDir = new Option<bool>("--same-dir", "-d") { Description = "The child starts in the current directory (the default; for systemd-run's habit)." };
        var env = new Option<string[]>("--env", "--setenv", "-E") { Description = "Set K=V in the child's environment (repeatable).", AllowMultipleArgumentsPerToken = false };
        var unsetEnv = new Option<string[]>("--unset-env") { Description = "Remove K from the child's environment (repeatable)." };
        var stdout = new Option<string?>("--stdout") { Description = "Append the child's stdout to FILE, or 'journal' (default: /dev/null; a service: the journal)." };
        var stderr = new Option<string?>("--stderr") { Description = "Append the child's stderr to FILE, or 'journal' (default: /dev/null; a service: the journal)." };
        var allowSpecialOutput = new Option<bool>("--allow-special-output")
        {
            Description = "Let --stdout/--stderr name a FIFO, socket or device (refused by default: it can block the start or vanish).",
        };
        var umask = new Option<string?>("--umask") { Description = "The child's umask, octal (e.g. 022)." };
        var uid = new Option<string?>("--uid") { Description = "Run as this user (name or uid); needs root." };
        var gid = new Option<string?>("--gid") { Description = "Run with this primary group (name or gid); needs root." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print nothing when the start succeeds." };
        var escape = new Option<string>("--escape")
        {
            Description = "auto (default): setsid where that is enough, else a transient scope; setsid; scope; service (systemd starts and supervises it).",
            DefaultValueFactory = _ => "auto",
        };
        var force = new Option<bool>("--force") { Description = "With --escape setsid: start even where the caller's unit will kill the child." };
        var name = new Option<string?>("--name") { Description = "The child's name in the registry, also a word in its unit's name (default: PROGRAM-XXXX)." };
        var replace = new Option<bool>("--replace") { Description = "If a running child has this --name, stop it first (SIGTERM, SIGKILL after 10s)." };
        var pidFile = new Option<string?>("--pidfile") { Description = "Write the child's PID to FILE (refused if FILE names another running process); 'outlive stop' removes it." };
        var restart = new Option<string?>("--restart") { Description = "With --escape service: systemd's Restart= (no, on-failure, always)." };
        var json = new Option<bool>("--json") { Description = "Print a JSON object (pid, start time, strategy, unit, reason) instead of the PID." };
        var command = new Argument<string[]>("command") { Description = "The program and its arguments, after '--'.", Arity = ArgumentArity.OneOrMore };

        var run = new Command("run", "Start PROGRAM detached (new session, clean signals and fds) and print its PID.")
        {
            cwd, sameDir, env, unsetEnv, stdout, stderr, allowSpecialOutput, umask, uid, gid, escape, force, name, replace, pidFile,
            restart, json, quiet, command,
        };
        var unitOptions = new UnitOptions();
        unitOptions.AddTo(run);
        run.SetAction(async (parse, cancellationToken) =>
        {
            string[] argv = parse.GetValue(command)!;
            if (argv[0].StartsWith('-'))
                throw new UsageException($"unknown option '{argv[0]}' for run: options go before '--', the program after it");
            if (parse.GetValue(sameDir) && parse.GetValue(cwd) is not null)
                throw new UsageException("--same-dir and --cwd both set the working directory: give one of them");
            if (parse.GetValue(quiet) && parse.GetValue(json))
                throw new UsageException("--quiet prints nothing and --json prints the child: give one of them");
            // The program's arguments and the environment go on as the bytes this process got, not as .NET decoded them.
            byte[][]? rawArguments = RawProcessInput.LastArguments(argv);
            var info = new DetachedStartInfo
            {
                Program = argv[0],
                Arguments = argv[1..],
                ArgumentBytes = rawArguments?[1..],
                EnvironmentBytes = RawProcessInput.Environment(),
                WorkingDirectory = parse.GetValue(cwd),
                SetEnvironment = ParseAssignments(parse.GetValue(env) ?? []),
                RemoveEnvironment = parse.GetValue(unsetEnv) ?? [],
                StandardOutput = Output(parse.GetValue(stdout), parse.GetValue(allowSpecialOutput)),
                StandardError = Output(parse.GetValue(stderr), parse.GetValue(allowSpecialOutput)),
                Umask = ParseUmask(parse.GetValue(umask)),
                User = parse.GetValue(uid),
                Group = parse.GetValue(gid),
            };
            EscapeOptions escapeOptions = unitOptions.Apply(parse, new EscapeOptions
            {
                Strategy = ParseEscape(parse.GetValue(escape)!),
                Force = parse.GetValue(force),
                Restart = parse.GetValue(restart),
            });
            var registration = new RegistrationOptions(parse.GetValue(name), parse.GetValue(replace), parse.GetValue(pidFile));
            LaunchedChild child = await StateDirOption.OpenRegistry(parse).StartAsync(info, escapeOptions, registration, cancellationToken);
            if (parse.GetValue(json))
                WriteJson(child);
            else if (!parse.GetValue(quiet))
                Console.WriteLine(child.Pid.ToString(CultureInfo.InvariantCulture));
            return ExitCodes.Ok;
        });
        return run;
    }

    /// <summary>"journal" is the journal (a file of that name is ./journal); anything else a file.</summary>
    private static OutputTarget Output(string? path, bool allowSpecial) => path switch
    {
        null => OutputTarget.Null,
        "journal" => OutputTarget.ToJournal(),
        _ => allowSpecial ? OutputTarget.AppendToAnyFile(path) : OutputTarget.AppendToFile(path),
    };

    private static EscapeStrategy ParseEscape(string text) => text switch
    {
        "auto" => EscapeStrategy.Auto,
        "setsid" => EscapeStrategy.Setsid,
        "scope" => EscapeStrategy.Scope,
        "service" => EscapeStrategy.Service,
        _ => throw new UsageException($"--escape '{text}' is not a strategy: use auto, setsid, scope or service"),
    };

    private static Dictionary<string, string> ParseAssignments(string[] assignments)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string assignment in assignments)
        {
            int eq = assignment.IndexOf('=');
            if (eq <= 0)
                throw new UsageException($"--env '{assignment}' is not K=V: write it as NAME=value");
            result[assignment[..eq]] = assignment[(eq + 1)..];
        }
        return result;
    }

    private static int? ParseUmask(string? text)
    {
        if (text is null)
            return null;
        try
        {
            int mask = Convert.ToInt32(text, 8);
            if (mask is >= 0 and <= 0x1FF)
                return mask;
        }
        catch (FormatException) { }
        catch (OverflowException) { }
        throw new UsageException($"--umask '{text}' is not an octal mask from 000 to 777: write it like 022");
    }

    private static void WriteJson(LaunchedChild child)
    {
        using var writer = new Utf8JsonWriter(Console.OpenStandardOutput(), new JsonWriterOptions { Indented = false });
        writer.WriteStartObject();
        writer.WriteString("name", child.Name);
        writer.WriteNumber("pid", child.Pid);
        if (child.Identity is { } identity)
        {
            writer.WriteNumber("startTime", identity.StartTimeTicks);
            writer.WriteString("bootId", identity.BootId);
        }
        writer.WriteString("executable", child.ExecutablePath);
        writer.WriteString("strategy", Words.Of(child.Strategy));
        writer.WriteString("manager", child.Manager is { } manager ? Words.Of(manager) : null);
        writer.WriteString("unit", child.Unit);
        writer.WriteString("reason", child.Reason);
        writer.WriteEndObject();
        writer.Flush();
        Console.Out.WriteLine();
    }
}
