using System.Text.Json.Serialization;

namespace Outlive.Registry;

/// <summary>
/// One child Outlive started: the file <c>STATE_DIR/NAME.json</c>, also what <c>outlive ps --json</c> prints.
/// <para>Schema (version 1), camelCase, stable; readers ignore unknown properties, so adding one keeps version 1:</para>
/// <code>
/// schemaVersion   int       always 1 for this layout; other values are reported, not read
/// name            string    unique among live entries; [A-Za-z][A-Za-z0-9._@-]{0,63}
/// pid             int       the child's PID
/// startTimeTicks  uint64    /proc/PID/stat field 22 (clock ticks after boot): with bootId, makes pid reuse-safe
/// bootId          string    /proc/sys/kernel/random/boot_id of the boot the child started in
/// strategy        string    how it escaped: "setsid", "scope" or "service" (EscapeStrategy's JSON names)
/// unit            string?   the systemd unit (scope/service), else null
/// command         string[]  argv, argv[0] first
/// cwd             string    working directory
/// stdoutPath      string?   where stdout goes (null: not redirected by Outlive)
/// stderrPath      string?   where stderr goes (null: not redirected by Outlive)
/// pidFile         string?   absolute path of the PID file Outlive wrote, else null
/// startedByUid    uint32    uid of the user who ran outlive
/// startedAtUtc    string    ISO 8601 UTC time of the start, e.g. "2026-11-25T12:00:00.0000000Z"
/// manager         string?   the systemd manager that owns unit: "system" or "user"; null for setsid
///                           (added later, so may be missing: then "system" for root's entries, else "user")
/// stdoutFile      string?   "MAJOR:MINOR:INODE" of the stdout file when the child started: `logs` reads only that file
/// stderrFile      string?   the same for stderr (both added later, so may be missing: then not checked)
/// childUid        uint32?   the uid the child runs as when it is not the starter's (run --user): `logs` opens its
///                           files as that user
/// </code>
/// </summary>
internal sealed record RegistryEntry(
    [property: JsonPropertyName("schemaVersion")] int SchemaVersion,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("startTimeTicks")] ulong StartTimeTicks,
    [property: JsonPropertyName("bootId")] string BootId,
    [property: JsonPropertyName("strategy")] EscapeStrategy Strategy,
    [property: JsonPropertyName("unit")] string? Unit,
    [property: JsonPropertyName("command")] IReadOnlyList<string> Command,
    [property: JsonPropertyName("cwd")] string Cwd,
    [property: JsonPropertyName("stdoutPath")] string? StdoutPath,
    [property: JsonPropertyName("stderrPath")] string? StderrPath,
    [property: JsonPropertyName("pidFile")] string? PidFile,
    [property: JsonPropertyName("startedByUid")] uint StartedByUid,
    [property: JsonPropertyName("startedAtUtc")] DateTime StartedAtUtc,
    [property: JsonPropertyName("manager")] ManagerKind? Manager = null,
    [property: JsonPropertyName("stdoutFile")] string? StdoutFile = null,
    [property: JsonPropertyName("stderrFile")] string? StderrFile = null,
    [property: JsonPropertyName("childUid")] uint? ChildUid = null,
    [property: JsonPropertyName("journalIdentifier")] string? JournalIdentifier = null)
{
    public const int CurrentSchemaVersion = 1;

    [JsonIgnore]
    public ProcessIdentity Identity => new(Pid, StartTimeTicks, BootId);
}

/// <summary>What the caller knows once the child runs; <see cref="Reservation.Commit"/> turns it into an entry.</summary>
internal sealed record ChildLaunch(
    ProcessIdentity Child,
    EscapeStrategy Strategy,
    string? Unit,
    IReadOnlyList<string> Command,
    string Cwd,
    string? StdoutPath,
    string? StderrPath,
    string? PidFile,
    ManagerKind? Manager = null,
    string? StdoutFile = null,
    string? StderrFile = null,
    uint? ChildUid = null,
    string? JournalIdentifier = null);

/// <summary>An entry file that could not be used, and why (one line).</summary>
internal sealed record RegistryProblem(string Path, string Reason);

/// <summary>The readable entries of a state dir and the files that were skipped.</summary>
internal sealed record RegistryListing(IReadOnlyList<RegistryEntry> Entries, IReadOnlyList<RegistryProblem> Problems);

/// <summary>
/// Marks a name as being registered by a live process, so nobody takes it while the child starts. Once the start
/// asks systemd for a transient unit, <see cref="Planned"/> names it and holds what the entry would say, so a start
/// whose process died can be finished (a running service is registered) or undone (the unit is stopped).
/// </summary>
internal sealed record ReservationRecord(
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("startTimeTicks")] ulong StartTimeTicks,
    [property: JsonPropertyName("bootId")] string BootId,
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("planned")] PlannedStart? Planned = null)
{
    [JsonIgnore]
    public ProcessIdentity Holder => new(Pid, StartTimeTicks, BootId);
}

/// <summary>The transient unit a start asked for, and the entry it would have written.</summary>
internal sealed record PlannedStart(
    [property: JsonPropertyName("unit")] string Unit,
    [property: JsonPropertyName("manager")] ManagerKind Manager,
    [property: JsonPropertyName("strategy")] EscapeStrategy Strategy,
    [property: JsonPropertyName("command")] IReadOnlyList<string> Command,
    [property: JsonPropertyName("cwd")] string Cwd,
    [property: JsonPropertyName("stdoutPath")] string? StdoutPath,
    [property: JsonPropertyName("stderrPath")] string? StderrPath)
{
    /// <summary>The launch to commit for <paramref name="child"/>, the unit's main process.</summary>
    public ChildLaunch LaunchOf(ProcessIdentity child) => new(child, Strategy, Unit, Command, Cwd, StdoutPath, StderrPath, null, Manager);
}

/// <summary>AOT-safe (source-generated) JSON for the registry; missing or null required properties fail to parse.</summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(RegistryEntry))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext;

[JsonSourceGenerationOptions(RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(ReservationRecord))]
internal sealed partial class ReservationJsonContext : JsonSerializerContext;
