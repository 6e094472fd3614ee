namespace Outlive;

/// <summary>How <see cref="ChildRegistry.StartAsync"/> registers a child.</summary>
/// <param name="Name">
/// The child's registry name, also the word in its transient unit's name: a letter, then up to 63 letters, digits,
/// '.', '_', '@' or '-'. Null picks <c>PROGRAM-XXXX</c>.
/// </param>
/// <param name="Replace">If a running child has <paramref name="Name"/>, stop it first (SIGTERM, SIGKILL after 10 s).</param>
/// <param name="PidFile">Also write the child's PID to this file (refused if it names another running process).</param>
public sealed record RegistrationOptions(string? Name = null, bool Replace = false, string? PidFile = null);
