using System.CommandLine;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Outlive.Interop;
using Outlive.Registry;

namespace Outlive.Cli.Commands;

/// <summary>
/// <c>outlive logs NAME [-f] [-n N]</c>: the last lines of the child's --stdout/--stderr files; for a service whose
/// output went to the journal, <c>journalctl</c> shows it (README says why it is run rather than read through libsystemd).
/// </summary>
internal static class LogsCommand
{
    private static readonly TimeSpan FollowPoll = TimeSpan.FromMilliseconds(200);

    internal static Command Create()
    {
        var target = new Argument<string>("name-or-pid") { Description = "The child's name, or its PID." };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new output until interrupted (Ctrl-C)." };
        var lines = new Option<int>("--lines", "-n") { Description = "How many last lines to print (default 10).", DefaultValueFactory = _ => 10 };
        var logs = new Command("logs", "Print the last lines of a child's output (its --stdout/--stderr files, or the journal for a service).")
        {
            target, follow, lines,
        };
        logs.SetAction(async (parse, cancellationToken) =>
        {
            int count = parse.GetValue(lines);
            if (count < 0)
                throw new UsageException($"--lines {count} is negative: give a number of lines, e.g. -n 50");
            RegisteredChild entry = await StateDirOption.OpenRegistry(parse).GetAsync(parse.GetValue(target)!, cancellationToken);
            bool toJournal = entry.Entry.JournalIdentifier is not null
                || (entry.Strategy == EscapeStrategy.Service && entry.Unit is not null && (entry.StandardOutputPath is null || entry.StandardErrorPath is null));
            var files = new List<(string Path, string? Identity, Stream To)>();
            if (entry.StandardOutputPath is not null)
                files.Add((entry.StandardOutputPath, entry.Entry.StdoutFile, Console.OpenStandardOutput()));
            if (entry.StandardErrorPath is not null && entry.StandardErrorPath != entry.StandardOutputPath)
                files.Add((entry.StandardErrorPath, entry.Entry.StderrFile, Console.OpenStandardError()));
            if (files.Count == 0 && !toJournal)
                throw new ChildNotFoundException(
                    $"'{entry.Name}' has no output to show: it was started without --stdout/--stderr (output went to /dev/null); restart it with --stdout FILE");

            using Process? journal = toJournal ? await StartJournalctlAsync(entry, count, parse.GetValue(follow)) : null;
            // Root reading the files of a child that runs as another user opens them as that user: no more privilege than hers.
            uint? asUser = Environment.IsPrivilegedProcess && entry.Entry.ChildUid is { } uid and not 0 ? uid : null;
            var positions = files.Select(f => Tail(f.Path, f.Identity, asUser, count, f.To)).ToArray();
            if (parse.GetValue(follow))
            {
                try
                {
                    while (true)
                    {
                        await Task.Delay(FollowPoll, cancellationToken);
                        for (int i = 0; i < files.Count; i++)
                            positions[i] = CopyNew(files[i].Path, files[i].Identity, asUser, positions[i], files[i].To);
                    }
                }
                catch (OperationCanceledException)
                {
                    journal?.Kill();
                    return ExitCodes.Ok;
                }
            }
            if (journal is not null)
            {
                await journal.WaitForExitAsync(cancellationToken);
                return journal.ExitCode == 0 ? ExitCodes.Ok : ExitCodes.SystemdUnavailable;
            }
            return ExitCodes.Ok;
        });
        return logs;
    }

    /// <summary>
    /// journalctl, not sd_journal through P/Invoke: it is already the journal's reader on every systemd machine and
    /// handles rotation, --follow and the user journal; its output is printed as is.
    /// </summary>
    private static async Task<Process> StartJournalctlAsync(RegisteredChild entry, int count, bool follow)
    {
        // setpriv --pdeathsig: journalctl -f goes when outlive does, even after a SIGKILL that leaves no time to stop it.
        var psi = new ProcessStartInfo("setpriv") { UseShellExecute = false, ArgumentList = { "--pdeathsig", "KILL", "--", "journalctl" } };
        if (entry.Manager == ManagerKind.User)
            psi.ArgumentList.Add("--user");
        // A service's unit holds only its lines; a setsid or scope child's journal stream is told apart by its identifier
        // (the registry name), from the child's start on, since journald files a stream under whoever opened it.
        string[] which = entry.Strategy == EscapeStrategy.Service && entry.Unit is not null
            ? ["-u", entry.Unit]
            : ["-t", entry.Entry.JournalIdentifier!, "--since", "@" + new DateTimeOffset(entry.StartedAtUtc).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)];
        foreach (string arg in (string[])[.. which, "-n", count.ToString(CultureInfo.InvariantCulture), "--no-pager", "-o", "cat"])
            psi.ArgumentList.Add(arg);
        if (follow)
            psi.ArgumentList.Add("-f");
        // PR_SET_PDEATHSIG fires when the thread that forked the child ends, not the process: start journalctl from a
        // thread that lives exactly as long as it does, never from a pool thread that may retire while it runs.
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        var forker = new Thread(() =>
        {
            try
            {
                Process process = Process.Start(psi)!;
                started.SetResult(process);
                process.WaitForExit();
            }
            catch (Exception e)
            {
                started.TrySetException(e);
            }
        })
        { IsBackground = true, Name = "outlive-journalctl" };
        forker.Start();
        try
        {
            return await started.Task;
        }
        catch (Win32Exception e)
        {
            throw new SystemdUnavailableException($"cannot run setpriv and journalctl to read {entry.Unit}'s output ({e.Message}); install util-linux and systemd's journalctl");
        }
    }

    /// <summary>Writes the last <paramref name="count"/> lines of <paramref name="path"/>; returns where the file ended.</summary>
    private static long Tail(string path, string? identity, uint? asUser, int count, Stream to)
    {
        using var file = Open(path, identity, asUser);
        if (file is null)
            return 0;
        long end = file.Length;
        long start = count == 0 ? end : StartOfLastLines(file, end, count);
        file.Position = start;
        CopyRange(file, end - start, to);
        return end;
    }

    /// <summary>Where the last <paramref name="count"/> lines begin: just after the count-th newline from the end, not counting a final one.</summary>
    private static long StartOfLastLines(FileStream file, long end, int count)
    {
        var chunk = new byte[64 * 1024];
        int newlines = 0;
        for (long chunkStart = end; chunkStart > 0;)
        {
            int size = (int)Math.Min(chunk.Length, chunkStart);
            chunkStart -= size;
            file.Position = chunkStart;
            file.ReadExactly(chunk, 0, size);
            for (int i = size - 1; i >= 0; i--)
            {
                if (chunk[i] == '\n' && chunkStart + i != end - 1 && ++newlines == count)
                    return chunkStart + i + 1;
            }
        }
        return 0;
    }

    /// <summary>Writes what was appended since <paramref name="position"/>; a truncated file is read again from its start.</summary>
    private static long CopyNew(string path, string? identity, uint? asUser, long position, Stream to)
    {
        using var file = Open(path, identity, asUser);
        if (file is null)
            return 0;
        long end = file.Length;
        if (end < position)
            position = 0;
        file.Position = position;
        CopyRange(file, end - position, to);
        return end;
    }

    private static void CopyRange(FileStream file, long length, Stream to)
    {
        var buffer = new byte[64 * 1024];
        while (length > 0)
        {
            int n = file.Read(buffer, 0, (int)Math.Min(buffer.Length, length));
            if (n == 0)
                break;
            to.Write(buffer, 0, n);
            length -= n;
        }
        to.Flush();
    }

    private static FileStream? Open(string path, string? identity, uint? asUser) =>
        asUser is { } uid ? Outlive.Spawn.DetachedSpawn.AsUser(uid, () => OpenOrNull(path, identity)) : OpenOrNull(path, identity);

    /// <summary>
    /// Opens a child's output file for reading the way a file its user controls must be: never through a symlink, never
    /// blocking on a FIFO, only a regular file, and only the very file the child was given (its inode, recorded at the
    /// start), so root's `logs` cannot be turned into a reader of another file. Null when it does not exist (yet).
    /// </summary>
    private static FileStream? OpenOrNull(string path, string? identity)
    {
        SafeFileHandle? file = SecureFiles.TryOpen(path, Libc.O_RDONLY | Libc.O_NONBLOCK, 0, out int errno);
        if (file is null)
        {
            return errno switch
            {
                Libc.ENOENT => null, // nothing written yet
                Libc.ELOOP => throw new PermissionDeniedException($"{path} is a symlink now, not the file the child writes: refused; remove it"),
                _ => throw new OutliveIOException($"cannot open {path}: {Libc.StrError(errno)}"),
            };
        }
        Libc.Statx stat = SecureFiles.Stat(file, path);
        string? refusal = stat.FileType != Libc.S_IFREG ? "is not a regular file"
            : identity is not null && SecureFiles.IdentityOf(stat) != identity ? "is not the file the child was given (it was replaced since)"
            : null;
        if (refusal is not null)
        {
            file.Dispose();
            throw new PermissionDeniedException($"{path} {refusal}: refused; remove it");
        }
        return new FileStream(file, FileAccess.Read);
    }
}
