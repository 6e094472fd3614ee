using Outlive.Interop;

namespace Outlive.Spawn;

/// <summary>Finds the file execvp would run, so errors can name it before anything is started.</summary>
internal static class ProgramResolver
{
    internal const string DefaultPath = "/usr/local/bin:/usr/bin:/bin";

    /// <param name="workingDirectory">Null: this process's, asked for only when a relative name needs it.</param>
    internal static string Resolve(string program, string? pathVariable, string? workingDirectory)
    {
        if (program.Length == 0)
            throw new ProgramNotFoundException("program name is empty: give a program to run after '--'", Libc.ENOENT, program);

        if (program.Contains('/'))
        {
            string full = FullPath(program, workingDirectory);
            return Check(full) switch
            {
                Candidate.Runnable => full,
                Candidate.NotExecutable => throw NotExecutable(full),
                _ => throw new ProgramNotFoundException($"program not found: {full}: check the path", Libc.ENOENT, full),
            };
        }

        string? notExecutable = null;
        foreach (string dir in (pathVariable ?? DefaultPath).Split(':'))
        {
            // An empty PATH entry means the working directory, as in execvp.
            string candidate = Path.Combine(
                dir.Length == 0 ? workingDirectory ?? Environment.CurrentDirectory : FullPath(dir, workingDirectory), program);
            switch (Check(candidate))
            {
                case Candidate.Runnable:
                    return candidate;
                case Candidate.NotExecutable:
                    notExecutable ??= candidate;
                    break;
            }
        }
        if (notExecutable is not null)
            throw NotExecutable(notExecutable);
        throw new ProgramNotFoundException(
            $"program not found: '{program}' is not on PATH ({pathVariable ?? DefaultPath}): give its full path or fix PATH",
            Libc.ENOENT, program);
    }

    /// <summary>An absolute path needs no working directory (getcwd is a system call).</summary>
    private static string FullPath(string path, string? workingDirectory) =>
        Path.IsPathRooted(path) ? Path.GetFullPath(path) : Path.GetFullPath(path, workingDirectory ?? Environment.CurrentDirectory);

    private static ProgramNotExecutableException NotExecutable(string path) =>
        new($"program not executable: {path}: run 'chmod +x {path}' or pick another file", Libc.EACCES, path);

    private enum Candidate { Missing, NotExecutable, Runnable }

    private static Candidate Check(string path)
    {
        if (!File.Exists(path))
            return Directory.Exists(path) ? Candidate.NotExecutable : Candidate.Missing;
        return Libc.access(path, Libc.X_OK) == 0 ? Candidate.Runnable : Candidate.NotExecutable;
    }
}
