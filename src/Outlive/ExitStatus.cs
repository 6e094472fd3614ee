namespace Outlive;

/// <summary>How a child ended: an exit code or the signal that killed it.</summary>
public readonly record struct ExitStatus(int? Code, int? Signal)
{
    public override string ToString() => Code is { } code ? $"exited {code}" : $"killed by signal {Signal}";
}
