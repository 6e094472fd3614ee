namespace Outlive.Cli;

/// <summary>An option value the parser accepted but that makes no sense; exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
