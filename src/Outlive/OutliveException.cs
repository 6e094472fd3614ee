namespace Outlive;

/// <summary>
/// Base of every error Outlive reports on purpose. The message is one line that names the thing
/// (path, unit, user, name) and the fix; <see cref="ExitCode"/> is the CLI's documented exit code for it.
/// </summary>
public abstract class OutliveException : Exception
{
    protected OutliveException(string message, Exception? inner = null) : base(message, inner) { }

    public abstract int ExitCode { get; }
}
