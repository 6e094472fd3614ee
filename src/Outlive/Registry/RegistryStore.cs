using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Outlive.Interop;
using Outlive.Procfs;

namespace Outlive.Registry;

/// <summary>
/// The children Outlive started, one <c>NAME.json</c> per child in a private state dir (0700, files 0600).
/// Names are unique among live entries: every change that depends on what is in the dir happens under an
/// flock on <c>STATE_DIR/.lock</c>, and a name being started is held by a <c>NAME.reservation</c> file
/// that stays valid only while the reserving process lives.
/// </summary>
internal sealed partial class RegistryStore
{
    private const string EntrySuffix = ".json";
    private const string ReservationSuffix = ".reservation";
    private const long MaxEntryBytes = 1 << 20;

    /// <summary>Below this many files or PIDs, reading them on this thread beats starting the pool's.</summary>
    private const int ParallelFrom = 64;

    /// <summary>Runs <paramref name="body"/> for 0 … count-1: on this thread for a few, on both cores for thousands.</summary>
    private static void ForEachIndex(int count, Action<int> body)
    {
        if (count < ParallelFrom)
        {
            for (int i = 0; i < count; i++)
                body(i);
        }
        else
        {
            Parallel.For(0, count, body);
        }
    }

    /// <summary>
    /// How much of the command line an entry keeps: with JSON escaping (at most 6 bytes per byte) and the other
    /// fields (paths are bounded by PATH_MAX) the entry stays under <see cref="MaxEntryBytes"/>, so every entry
    /// written can be read back.
    /// </summary>
    internal const int MaxCommandBytes = 128 * 1024;

    private static readonly Lazy<ProcessIdentity> s_self =
        new(() => ProcessIdentity.TryCapture(Environment.ProcessId) ?? throw new InvalidOperationException("cannot read /proc/self/stat"));

    private readonly uint _uid;
    private readonly string[] _olderDirs;
    private int _olderDirsMoved;
    private readonly Func<RegistryEntry, CancellationToken, Task<ChildState?>>? _unitState;

    /// <param name="stateDir">Null for <see cref="DefaultStateDir"/>; the CLI passes --state-dir / OUTLIVE_STATE_DIR.</param>
    /// <param name="unitState">
    /// For children escaped into a systemd unit: the unit's state when it can be asked (null: decide by the process).
    /// </param>
    public RegistryStore(string? stateDir = null, Func<RegistryEntry, CancellationToken, Task<ChildState?>>? unitState = null)
    {
        _uid = Libc.getuid();
        if (stateDir is null)
        {
            string? home = _uid == 0 ? null : Libc.LookupUser(_uid.ToString(CultureInfo.InvariantCulture))?.Home;
            StateDir = DefaultStateDir(_uid, home, HomeIsOwnedBy);
            _olderDirs = [.. OlderStateDirs(_uid, Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR")).Where(d => d != StateDir)];
        }
        else
        {
            StateDir = Path.GetFullPath(stateDir);
            _olderDirs = [];
        }
        _unitState = unitState;
    }

    /// <summary>A store in <paramref name="stateDir"/> that first takes over the entries in <paramref name="olderDirs"/>.</summary>
    internal RegistryStore(string stateDir, IEnumerable<string> olderDirs)
    {
        _uid = Libc.getuid();
        StateDir = Path.GetFullPath(stateDir);
        _olderDirs = [.. olderDirs];
    }

    public string StateDir { get; }

    /// <summary>
    /// One place per user, whether or not they are logged in or linger: <c>/run/outlive</c> for root, else
    /// <c>~/.local/state/outlive</c> (XDG's state dir; HOME from the user database, not the environment, since a
    /// <c>User=</c> service and a login shell see different ones), else, for a user without a home of their own,
    /// <c>/tmp/outlive-UID</c> — like tmux's /tmp/tmux-UID, made 0700 and its owner checked before use.
    /// </summary>
    public static string DefaultStateDir(uint uid, string? home, Func<string, uint, bool> homeIsOwnedBy)
    {
        if (uid == 0)
            return "/run/outlive";
        if (home is not null && Path.IsPathRooted(home) && home != "/" && homeIsOwnedBy(home, uid))
            return Path.Combine(home, ".local", "state", "outlive");
        return $"/tmp/outlive-{uid.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>Where earlier versions kept a user's entries (the runtime dir while it existed, /tmp otherwise): read once and moved here.</summary>
    internal static IEnumerable<string> OlderStateDirs(uint uid, string? xdgRuntimeDir)
    {
        if (uid == 0)
            yield break;
        string id = uid.ToString(CultureInfo.InvariantCulture);
        if (!string.IsNullOrEmpty(xdgRuntimeDir) && Path.IsPathRooted(xdgRuntimeDir))
            yield return Path.Combine(xdgRuntimeDir, "outlive");
        yield return $"/run/user/{id}/outlive";
        yield return $"/tmp/outlive-{id}";
    }

    static bool HomeIsOwnedBy(string home, uint uid) => SecureFiles.LStat(home) is { } stat && stat.FileType == Libc.S_IFDIR && stat.Uid == uid;

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9._@-]{0,63}$")]
    private static partial Regex NamePattern();

    /// <summary>A letter, then up to 63 letters, digits, '.', '_', '@' or '-' (so a name is never mistaken for a PID).</summary>
    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    /// <summary>
    /// Holds a name for a child about to start. Without <paramref name="name"/>, picks <c>PROGRAM-XXXX</c>.
    /// Throws <see cref="ConflictException"/> when a live entry has the name, unless <paramref name="replace"/>:
    /// then that entry is in <see cref="Reservation.Replaces"/> for the caller to stop before starting the new child.
    /// </summary>
    public async Task<Reservation> ReserveAsync(string? name, string program, bool replace, CancellationToken cancellationToken)
    {
        if (name is not null && !IsValidName(name))
            throw new InvalidNameException(
                $"'{name}' is not a valid name: use a letter, then up to 63 letters, digits, '.', '_', '@' or '-'");
        CheckStateDir(create: true);
        // Asked before the lock: a unit's state is a D-Bus round trip, and the lock is held only for file work.
        RegistryEntry? holder = name is null ? null : ReadEntry(EntryPath(name)).Entry;
        ChildState? holderState = holder is null ? null : await GetStateAsync(holder, cancellationToken).ConfigureAwait(false);
        using var dirLock = LockStateDir();
        name ??= PickFreeName(program);
        RegistryEntry? replaces = ClaimableEntry(name, replace, holder, holderState);
        var self = s_self.Value;
        var record = new ReservationRecord(self.Pid, self.StartTimeTicks, self.BootId, SecureFiles.RandomHex(16));
        SecureFiles.WriteAtomically(
            ReservationPath(name),
            EntryWriter.Write(record),
            SecureFiles.OwnerReadWrite);
        return new Reservation(this, name, record.Token, replaces);
    }

    /// <summary>
    /// The entry files and reservations in the state dir, from one pass over it, with the dir held open to read them
    /// relative to; null when there is no state dir.
    /// </summary>
    internal StateDirScan? Scan()
    {
        if (!CheckStateDir(create: false))
            return null;
        // O_NONBLOCK: whatever was swapped in since the check, opening it must not hang; the fd is checked again.
        var dir = SecureFiles.Open(StateDir, Libc.O_RDONLY | Libc.O_NONBLOCK, 0);
        try
        {
            CheckStateDirStat(SecureFiles.Stat(dir, StateDir));
            var scan = new StateDirScan(dir);
            SecureFiles.ReadDirectory(dir, StateDir, ".json"u8, scan.EntryFiles, ".reservation"u8, scan.ReservationFiles);
            return scan;
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    /// <summary>Every readable, visible entry (sorted by name) and every entry file that was skipped, with why.</summary>
    /// <param name="scan">The state dir as just scanned; null to scan it now.</param>
    public RegistryListing List(StateDirScan? scan = null)
    {
        var entries = new List<RegistryEntry>();
        var problems = new List<RegistryProblem>();
        using StateDirScan? own = scan is null ? Scan() : null;
        scan ??= own;
        if (scan is null)
            return new RegistryListing(entries, problems);
        List<string> names = scan.EntryFiles;
        int dirFd = (int)scan.Directory.DangerousGetHandle();
        // Each entry is four system calls and a small JSON parse; with thousands, both cores pay off.
        var read = new (RegistryEntry? Entry, RegistryProblem? Problem)[names.Count];
        ForEachIndex(names.Count, i => read[i] = ReadEntry(dirFd, names[i], StateDir));
        foreach (var (entry, problem) in read)
        {
            if (problem is not null)
                problems.Add(problem);
            else if (entry is not null && IsVisible(entry))
                entries.Add(entry);
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new RegistryListing(entries, problems);
    }

    /// <summary>The entry named <paramref name="nameOrPid"/>, or the one with that PID (all digits: never a name).</summary>
    public async Task<RegistryEntry> FindAsync(string nameOrPid, CancellationToken cancellationToken)
    {
        if (int.TryParse(nameOrPid, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
        {
            var withPid = List().Entries.Where(e => e.Pid == pid).ToList();
            ChildState[] states = await GetStatesAsync(withPid, cancellationToken).ConfigureAwait(false);
            int running = Array.IndexOf(states, ChildState.Running);
            return running >= 0 ? withPid[running] : withPid.FirstOrDefault()
                ?? throw new ChildNotFoundException($"no child with pid {pid} in {StateDir}; see 'outlive ps'");
        }
        if (!IsValidName(nameOrPid))
            throw new InvalidNameException($"'{nameOrPid}' is neither a child name nor a PID");
        var notFound = new ChildNotFoundException($"no child named '{nameOrPid}' in {StateDir}; see 'outlive ps'");
        if (!CheckStateDir(create: false))
            throw notFound;
        var (entry, problem) = ReadEntry(EntryPath(nameOrPid));
        if (problem is not null)
            throw new ChildNotFoundException($"{problem.Path} {problem.Reason}");
        return entry is not null && IsVisible(entry) ? entry : throw notFound;
    }

    /// <summary>
    /// The state of each entry: a setsid child's by its process (a few system calls each, spread over the cores),
    /// a unit's by asking its manager (all at once: each is a D-Bus round trip).
    /// </summary>
    public async Task<ChildState[]> GetStatesAsync(IReadOnlyList<RegistryEntry> entries, CancellationToken cancellationToken)
    {
        var states = new ChildState[entries.Count];
        var asked = new List<Task>();
        for (int i = 0; i < entries.Count; i++)
        {
            if (entries[i].Unit is not null && _unitState is not null)
                asked.Add(AskUnitAsync(i));
        }
        // One /proc read per PID, however many entries name it; an entry of another boot needs none.
        var pidIndex = new Dictionary<int, int>();
        var pids = new List<int>();
        for (int i = 0; i < entries.Count; i++)
        {
            if ((entries[i].Unit is null || _unitState is null) && entries[i].BootId == BootId.Current && pidIndex.TryAdd(entries[i].Pid, pids.Count))
                pids.Add(entries[i].Pid);
        }
        var liveness = new PidLiveness[pids.Count];
        ForEachIndex(pids.Count, j => liveness[j] = PidLiveness.Read(pids[j]));
        for (int i = 0; i < entries.Count; i++)
        {
            if (entries[i].Unit is null || _unitState is null)
                states[i] = pidIndex.TryGetValue(entries[i].Pid, out int j) && entries[i].BootId == BootId.Current
                    ? liveness[j].StateOf(entries[i].StartTimeTicks)
                    : ChildState.Gone;
        }
        await Task.WhenAll(asked).ConfigureAwait(false);
        return states;

        async Task AskUnitAsync(int i) =>
            states[i] = await _unitState!(entries[i], cancellationToken).ConfigureAwait(false) ?? ProcessState(entries[i].Identity);
    }

    /// <summary>Running or Gone by pid + start time + boot id (a recycled PID is Gone); the unit's state wins when it can be asked.</summary>
    public async Task<ChildState> GetStateAsync(RegistryEntry entry, CancellationToken cancellationToken) =>
        (entry.Unit is not null && _unitState is not null ? await _unitState(entry, cancellationToken).ConfigureAwait(false) : null)
        ?? ProcessState(entry.Identity);

    internal static ChildState ProcessState(ProcessIdentity identity) =>
        identity.BootId == BootId.Current ? PidLiveness.Read(identity.Pid).StateOf(identity.StartTimeTicks) : ChildState.Gone;

    /// <summary>What this boot's /proc says about one PID: enough to judge every entry that names it.</summary>
    private readonly record struct PidLiveness(bool InProc, ulong StartTimeTicks, bool IsZombie, bool HiddenButAlive)
    {
        public static PidLiveness Read(int pid)
        {
            if (ProcStat.TryReadStart(pid, out ulong startTimeTicks, out bool isZombie))
                return new(true, startTimeTicks, isZombie, false);
            // Missing from /proc: gone, unless /proc hides other users' processes (hidepid) and the PID still exists.
            return new(false, 0, false, Libc.kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == Libc.EPERM);
        }

        /// <summary>Running only as the very process that started at <paramref name="startTimeTicks"/> (a recycled PID is Gone).</summary>
        public ChildState StateOf(ulong startTimeTicks) =>
            InProc ? (StartTimeTicks == startTimeTicks && !IsZombie ? ChildState.Running : ChildState.Gone)
            : HiddenButAlive ? ChildState.Unknown
            : ChildState.Gone;
    }

    /// <summary>
    /// Deletes the entry (and its PID file) if the file still describes this very process; false when it no longer
    /// does (already removed, or the name was taken again since).
    /// </summary>
    public bool Remove(RegistryEntry entry)
    {
        if (!CheckStateDir(create: false))
            return false;
        bool removed;
        using (LockStateDir())
        {
            var (current, _) = ReadEntry(EntryPath(entry.Name));
            removed = current is not null && current.Identity == entry.Identity;
            if (removed)
                File.Delete(EntryPath(entry.Name));
        }
        if (removed && entry.PidFile is not null)
            PidFile.Remove(entry.PidFile, entry.Pid);
        return removed;
    }

    /// <summary>Removes the entries whose child is gone (returned) and leftovers of crashed registrations.</summary>
    public async Task<IReadOnlyList<RegistryEntry>> PruneAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<RegistryEntry> entries = List().Entries;
        ChildState[] states = await GetStatesAsync(entries, cancellationToken).ConfigureAwait(false);
        var removed = entries.Where((e, i) => states[i] == ChildState.Gone).Where(Remove).ToList();
        if (CheckStateDir(create: false))
        {
            using var dirLock = LockStateDir();
            foreach (string path in Directory.EnumerateFiles(StateDir, "*" + ReservationSuffix))
            {
                // A dead holder's planned unit is InterruptedStarts' to finish or undo first.
                if (ReadReservation(path) is not { } record || (!record.Holder.IsAlive() && record.Planned is null))
                    File.Delete(path);
            }
            // Every temp file in the state dir is written under the lock we hold, so any one left is from a crash.
            foreach (string path in Directory.EnumerateFiles(StateDir, ".*.tmp"))
                File.Delete(path);
        }
        return removed;
    }

    internal RegistryEntry Commit(string name, string token, ChildLaunch launch)
    {
        var entry = EntryFor(name, launch);
        using var dirLock = LockStateDir();
        SecureFiles.WriteAtomically(
            EntryPath(name),
            EntryWriter.Write(entry),
            SecureFiles.OwnerReadWrite);
        DropReservationLocked(name, token);
        return entry;
    }

    /// <summary>The entry <paramref name="launch"/> would be committed as.</summary>
    internal RegistryEntry EntryFor(string name, ChildLaunch launch) => new(
        RegistryEntry.CurrentSchemaVersion, name, launch.Child.Pid, launch.Child.StartTimeTicks, launch.Child.BootId,
        launch.Strategy, launch.Unit, Truncated(launch.Command), launch.Cwd, launch.StdoutPath, launch.StderrPath,
        launch.PidFile is null ? null : Path.GetFullPath(launch.PidFile), _uid, DateTime.UtcNow, launch.Manager, launch.StdoutFile, launch.StderrFile, launch.ChildUid, launch.JournalIdentifier);

    /// <summary>The command line cut to <see cref="MaxCommandBytes"/> of UTF-8, with a last element that says how much is missing.</summary>
    internal static IReadOnlyList<string> Truncated(IReadOnlyList<string> command)
    {
        // Each argument also costs its quotes, comma and indentation in the entry's JSON.
        static long Cost(string argument) => Encoding.UTF8.GetByteCount(argument) + 8;
        long total = command.Sum(Cost);
        if (total <= MaxCommandBytes)
            return command;
        var kept = new List<string>();
        long room = MaxCommandBytes;
        foreach (string argument in command)
        {
            if (Cost(argument) > room)
            {
                if (room > 8)
                    kept.Add(argument[..(int)Math.Min(argument.Length, room - 8)]);
                break;
            }
            kept.Add(argument);
            room -= Cost(argument);
        }
        kept.Add($"[outlive: command line truncated, {total - kept.Sum(Cost)} more bytes]");
        return kept;
    }

    /// <summary>Records in the reservation the unit the start is about to ask for (see <see cref="ReservationRecord.Planned"/>).</summary>
    internal void PlanReservation(string name, string token, PlannedStart planned)
    {
        using var dirLock = LockStateDir();
        string path = ReservationPath(name);
        if (ReadReservation(path) is not { } record || record.Token != token)
            throw new ConflictException($"the reservation of '{name}' in {StateDir} was taken away while the child started; nothing started");
        // The marker first: a planned reservation is never without one (a marker without one is tidied away).
        MarkPlannedLocked(name);
        SecureFiles.WriteAtomically(path,
            EntryWriter.Write(record with { Planned = planned }),
            SecureFiles.OwnerReadWrite);
    }

    /// <summary>
    /// Reservations whose holder died: starts that were interrupted, to be finished or undone, then dropped. Those that
    /// named a unit are all there is to finish or undo; the rest is tidied when their name is taken again or by prune.
    /// </summary>
    /// <param name="scan">
    /// The state dir as just scanned (ps, prune): every reservation in it, also one an earlier version planned without a
    /// marker. Null (run, status, stop): only the planned ones, found by their markers without reading the whole state dir.
    /// </param>
    internal IReadOnlyList<(string Name, ReservationRecord Record)> InterruptedStarts(StateDirScan? scan = null)
    {
        List<string>? names = scan is null ? PlannedNames() : [.. scan.ReservationFiles.Select(f => f[..^ReservationSuffix.Length])];
        if (names is null)
        {
            using StateDirScan? full = Scan();
            return full is null ? [] : InterruptedStarts(full);
        }
        var interrupted = new List<(string, ReservationRecord)>();
        foreach (string name in names)
        {
            if (ReadReservation(ReservationPath(name)) is { } record)
            {
                if (!record.Holder.IsAlive())
                    interrupted.Add((name, record));
            }
            else if (scan is null && !File.Exists(ReservationPath(name)))
            {
                // Its start ended between marking and planning, or before this marker was removed: drop the marker.
                using var dirLock = LockStateDir();
                if (!File.Exists(ReservationPath(name)))
                    SecureFiles.DeleteIfPresent(PlannedMarkerPath(name));
            }
        }
        return interrupted;
    }

    /// <summary>
    /// The names marked in <c>STATE_DIR/.planned</c>: one empty file per reservation that names a transient unit, made
    /// before the reservation does and removed after it is gone. Empty without that dir; null when the state dir is
    /// missing or <c>.planned</c> is anything but our own private dir (then the caller reads the whole state dir).
    /// </summary>
    private List<string>? PlannedNames()
    {
        if (!CheckStateDir(create: false))
            return null;
        if (SecureFiles.LStat(PlannedMarkerDir) is not { } stat)
            return [];
        if (!IsOwnPrivateDir(stat))
            return null;
        var names = new List<string>();
        using var dir = SecureFiles.Open(PlannedMarkerDir, Libc.O_RDONLY | Libc.O_NONBLOCK, 0);
        SecureFiles.ReadDirectory(dir, PlannedMarkerDir, ""u8, names, ""u8, names);
        names.RemoveAll(name => !IsValidName(name));
        return names;
    }

    /// <summary>Under the lock: marks <paramref name="name"/>'s reservation as one about to name a unit (see <see cref="PlannedNames"/>).</summary>
    private void MarkPlannedLocked(string name)
    {
        if (Libc.mkdir(PlannedMarkerDir, SecureFiles.OwnerOnlyDirectory) != 0 && Marshal.GetLastPInvokeError() != Libc.EEXIST)
            throw SecureFiles.Failure(PlannedMarkerDir, "create", Marshal.GetLastPInvokeError());
        if (SecureFiles.LStat(PlannedMarkerDir) is not { } stat || !IsOwnPrivateDir(stat))
            throw new PermissionDeniedException($"{PlannedMarkerDir} is not a private directory of yours; remove it");
        using var marker = SecureFiles.Open(PlannedMarkerPath(name), Libc.O_WRONLY | Libc.O_CREAT, SecureFiles.OwnerReadWrite);
    }

    /// <summary>What <see cref="CommitInterrupted"/> did.</summary>
    internal enum InterruptedCommit
    {
        Committed,
        /// <summary>Someone else resolved this start first (the reservation is gone or is another one): leave it.</summary>
        ResolvedElsewhere,
        /// <summary>The name has an entry again: this child cannot have it.</summary>
        NameTaken,
    }

    /// <summary>Finishes an interrupted start: its child runs, so it gets its entry (unless the name was taken since).</summary>
    internal InterruptedCommit CommitInterrupted(string name, ReservationRecord record, ChildLaunch launch)
    {
        using var dirLock = LockStateDir();
        if (ReadReservation(ReservationPath(name))?.Token != record.Token)
            return InterruptedCommit.ResolvedElsewhere;
        if (File.Exists(EntryPath(name)))
            return InterruptedCommit.NameTaken;
        var entry = EntryFor(name, launch);
        SecureFiles.WriteAtomically(EntryPath(name), EntryWriter.Write(entry), SecureFiles.OwnerReadWrite);
        DropReservationLocked(name, record.Token);
        return InterruptedCommit.Committed;
    }

    /// <summary>Rewrites the reservation as held by nobody (pid 0): an interrupted start, whoever looks next.</summary>
    internal void AbandonReservation(string name, string token)
    {
        using var dirLock = LockStateDir();
        string path = ReservationPath(name);
        if (ReadReservation(path) is { } record && record.Token == token)
            SecureFiles.WriteAtomically(path,
                EntryWriter.Write(record with { Pid = 0, StartTimeTicks = 0 }),
                SecureFiles.OwnerReadWrite);
    }

    internal void DropReservation(string name, string token)
    {
        using var dirLock = LockStateDir();
        DropReservationLocked(name, token);
    }

    private void DropReservationLocked(string name, string token)
    {
        string path = ReservationPath(name);
        if (ReadReservation(path)?.Token == token)
        {
            File.Delete(path);
            SecureFiles.DeleteIfPresent(PlannedMarkerPath(name));
        }
    }

    /// <summary>Under the lock: the live entry <paramref name="name"/> would replace (null when the name is free).</summary>
    private RegistryEntry? ClaimableEntry(string name, bool replace, RegistryEntry? asked, ChildState? askedState)
    {
        string reservation = ReservationPath(name);
        if (ReadReservation(reservation) is { } held)
        {
            if (held.Holder.IsAlive())
                throw new ConflictException(
                    $"name '{name}' is being registered by pid {held.Pid} right now; choose another --name");
            if (held.Planned is { } planned)
                throw new ConflictException(
                    $"name '{name}' belongs to an interrupted start of {planned.Unit}; run 'outlive prune' to finish or undo it");
            File.Delete(reservation);
        }
        var (entry, problem) = ReadEntry(EntryPath(name));
        if (problem is not null)
            throw new ConflictException(
                $"name '{name}' is held by {problem.Path}, which {problem.Reason}; remove it or choose another --name");
        if (entry is null)
            return null;
        // The entry asked about before the lock, unless it changed since (then its process decides).
        var state = asked is not null && entry.Identity == asked.Identity && askedState is { } known ? known : ProcessState(entry.Identity);
        if (state == ChildState.Gone)
            return null;
        if (!replace)
            throw new ConflictException(
                $"name '{name}' is taken by {(state == ChildState.Running ? "running" : "possibly running")} pid {entry.Pid}; "
                + "choose another --name or use --replace");
        return entry;
    }

    private string PickFreeName(string program)
    {
        string prefix = AutoNamePrefix(program);
        for (int attempt = 0; attempt < 64; attempt++)
        {
            string name = $"{prefix}-{SecureFiles.RandomHex(2)}";
            if (!File.Exists(EntryPath(name)) && !File.Exists(ReservationPath(name)))
                return name;
        }
        throw new ConflictException($"no free name '{prefix}-XXXX' in {StateDir}; run 'outlive prune' or pass --name");
    }

    /// <summary>The program's file name cut to valid name characters, e.g. <c>/usr/bin/python3.12</c> → <c>python3.12</c>.</summary>
    private static string AutoNamePrefix(string program)
    {
        var prefix = new StringBuilder();
        foreach (char c in Path.GetFileName(program))
        {
            if (prefix.Length == 58)
                break;
            if (char.IsAsciiLetter(c) || (prefix.Length > 0 && (char.IsAsciiDigit(c) || c is '.' or '_' or '@' or '-')))
                prefix.Append(c);
        }
        return prefix.Length == 0 ? "child" : prefix.ToString();
    }

    private (RegistryEntry? Entry, RegistryProblem? Problem) ReadEntry(string path) => ReadEntry(Libc.AT_FDCWD, path, null);

    /// <param name="dirFd">The descriptor of <paramref name="directory"/>, or AT_FDCWD when <paramref name="name"/> is the full path.</param>
    /// <param name="name">What to open relative to <paramref name="dirFd"/>.</param>
    /// <param name="directory">The dir's path, for problems (a path is made only for a problem).</param>
    private (RegistryEntry? Entry, RegistryProblem? Problem) ReadEntry(int dirFd, string name, string? directory)
    {
        string PathOf() => directory is null ? name : Path.Join(directory, name);
        RegistryProblem Problem(string reason) => new(PathOf(), reason);
        // O_NONBLOCK: a FIFO planted here must not hang us.
        int fd = SecureFiles.TryOpenAt(dirFd, name, Libc.O_RDONLY | Libc.O_NONBLOCK, out int errno);
        if (fd < 0)
        {
            return errno switch
            {
                Libc.ENOENT => (null, null),
                Libc.ELOOP => (null, Problem("is a symlink (Outlive never writes one); remove it")),
                _ => (null, Problem($"cannot be opened: {Libc.StrError(errno)}")),
            };
        }
        RegistryEntry? entry;
        try
        {
            // Not SecureFiles.Stat: that would make the path string for every entry, not only for a problem.
            if (Libc.statx(fd, "", Libc.AT_EMPTY_PATH, Libc.STATX_BASIC_STATS, out var stat) != 0)
                throw SecureFiles.Failure(PathOf(), "stat", Marshal.GetLastPInvokeError());
            if (stat.FileType != Libc.S_IFREG)
                return (null, Problem("is not a regular file; remove it"));
            if (stat.Uid != _uid)
                return (null, Problem($"is owned by uid {stat.Uid}, not by uid {_uid}; remove it"));
            if ((long)stat.Size > MaxEntryBytes)
                return (null, Problem($"is larger than {MaxEntryBytes} bytes; remove it"));
            // Entries are about half a KB: read onto the stack, and parse without the serializer unless it must decide.
            const int OnStack = 4096;
            Span<byte> content = (int)stat.Size <= OnStack ? stackalloc byte[OnStack] : new byte[(int)stat.Size];
            content = content[..SecureFiles.Read(fd, content[..(int)stat.Size])];
            entry = EntryParser.TryParse(content) ?? JsonSerializer.Deserialize(content, RegistryJsonContext.Default.RegistryEntry);
        }
        catch (JsonException e)
        {
            return (null, Problem($"is not a valid entry ({e.Message.ReplaceLineEndings(" ")}); remove it"));
        }
        finally
        {
            Libc.close(fd);
        }
        if (entry is null)
            return (null, Problem("holds JSON null; remove it"));
        if (entry.SchemaVersion != RegistryEntry.CurrentSchemaVersion)
            return (null, Problem($"has schema version {entry.SchemaVersion}; this Outlive reads {RegistryEntry.CurrentSchemaVersion}"));
        ReadOnlySpan<char> storedAs = Path.GetFileName(name.AsSpan())[..^EntrySuffix.Length];
        if (!storedAs.SequenceEqual(entry.Name))
            return (null, Problem($"names '{entry.Name}' but is stored as '{storedAs}'; remove it"));
        if (entry.Pid <= 0)
            return (null, Problem($"has pid {entry.Pid}; remove it"));
        return (entry, null);
    }

    private static ReservationRecord? ReadReservation(string path)
    {
        using var file = SecureFiles.TryOpen(path, Libc.O_RDONLY | Libc.O_NONBLOCK, 0, out _);
        if (file is null)
            return null;
        try
        {
            return JsonSerializer.Deserialize(SecureFiles.ReadAll(file, MaxEntryBytes), ReservationJsonContext.Default.ReservationRecord);
        }
        catch (JsonException)
        {
            return null; // reservations are written atomically, so an unreadable one is not ours: stale
        }
    }


    /// <summary>Root sees every entry; anyone else only those they started.</summary>
    private bool IsVisible(RegistryEntry entry) => _uid == 0 || entry.StartedByUid == _uid;

    /// <summary>Refuses a state dir that is a symlink, not ours, or writable by others; false when it does not exist.</summary>
    private bool CheckStateDir(bool create)
    {
        var stat = SecureFiles.LStat(StateDir);
        if (stat is null)
        {
            // An earlier version's entries waiting elsewhere make the dir worth creating even for a reader.
            if (!create && (_olderDirsMoved == 1 || !_olderDirs.Any(Directory.Exists)))
                return false;
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(StateDir)!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new PermissionDeniedException(
                    $"cannot create state dir {StateDir}: {e.Message.TrimEnd('.')}; pass --state-dir (or OUTLIVE_STATE_DIR) naming a directory you may write");
            }
            if (Libc.mkdir(StateDir, SecureFiles.OwnerOnlyDirectory) != 0 && Marshal.GetLastPInvokeError() != Libc.EEXIST)
                throw SecureFiles.Failure(StateDir, "create", Marshal.GetLastPInvokeError());
            stat = SecureFiles.LStat(StateDir) ?? throw new IOException($"{StateDir} vanished right after it was created");
        }
        CheckStateDirStat(stat.Value);
        if (_olderDirs.Length > 0 && Interlocked.Exchange(ref _olderDirsMoved, 1) == 0)
            MoveOlderEntries();
        return true;
    }

    /// <summary>A real directory (not a symlink) of this user that no one else may write to.</summary>
    private bool IsOwnPrivateDir(Libc.Statx stat) =>
        stat.FileType == Libc.S_IFDIR && stat.Uid == _uid && (stat.Permissions & 0x12) == 0; // 0x12: group or other may write

    private void CheckStateDirStat(Libc.Statx s)
    {
        if (s.FileType == Libc.S_IFLNK)
            throw new PermissionDeniedException($"state dir {StateDir} is a symlink; pass a real directory as --state-dir");
        if (s.FileType != Libc.S_IFDIR)
            throw new PermissionDeniedException($"state dir {StateDir} is not a directory; pass another --state-dir");
        if (s.Uid != _uid)
            throw new PermissionDeniedException(
                $"state dir {StateDir} belongs to uid {s.Uid}, not to you (uid {_uid}); pass your own --state-dir");
        if ((s.Permissions & 0x12) != 0) // group or other may write
            throw new PermissionDeniedException($"state dir {StateDir} is writable by other users; chmod 700 it");
    }

    /// <summary>
    /// Moves entries an earlier version left in <see cref="OlderStateDirs"/> into the state dir, so ps never loses a child:
    /// only from a dir that is the user's own and private (the same checks as the state dir), never over an entry of the
    /// same name, and only entries that read back whole. Reservations stay: they belong to starts of those versions.
    /// </summary>
    private void MoveOlderEntries()
    {
        foreach (string dir in _olderDirs)
        {
            if (SecureFiles.LStat(dir) is not { } stat || !IsOwnPrivateDir(stat))
                continue;
            using var dirLock = LockStateDir();
            foreach (string path in Directory.EnumerateFiles(dir, "*" + EntrySuffix))
            {
                string name = Path.GetFileNameWithoutExtension(path);
                var (entry, _) = ReadEntry(path);
                if (entry is null || !IsValidName(name) || File.Exists(EntryPath(name)))
                    continue;
                try
                {
                    SecureFiles.WriteAtomically(EntryPath(name), File.ReadAllBytes(path), SecureFiles.OwnerReadWrite);
                    File.Delete(path);
                }
                catch (IOException)
                {
                    // Left where it is: the next reader tries again.
                }
            }
        }
    }

    private Microsoft.Win32.SafeHandles.SafeFileHandle LockStateDir() => SecureFiles.LockExclusive(Path.Combine(StateDir, ".lock"));

    private string EntryPath(string name) => Path.Combine(StateDir, name + EntrySuffix);

    private string ReservationPath(string name) => Path.Combine(StateDir, name + ReservationSuffix);

    private string PlannedMarkerDir => Path.Combine(StateDir, ".planned");

    private string PlannedMarkerPath(string name) => Path.Combine(StateDir, ".planned", name);
}

/// <summary>The names in a state dir from one pass over it, and the open dir to read them relative to.</summary>
internal sealed class StateDirScan(Microsoft.Win32.SafeHandles.SafeFileHandle directory) : IDisposable
{
    public Microsoft.Win32.SafeHandles.SafeFileHandle Directory { get; } = directory;

    /// <summary>File names ending in .json (never one starting with '.').</summary>
    public List<string> EntryFiles { get; } = [];

    /// <summary>File names ending in .reservation.</summary>
    public List<string> ReservationFiles { get; } = [];

    public void Dispose() => Directory.Dispose();
}
