using System.Globalization;
using System.Text;
using Outlive.Interop;

namespace Outlive.Procfs;

/// <summary>The fields of <c>/proc/PID/stat</c> that Outlive needs (proc(5) numbering in comments).</summary>
internal sealed record ProcStat(
    int Pid,
    string Command,
    char State,
    int ParentPid,
    int ProcessGroupId,
    int SessionId,
    int TtyNr,
    ulong StartTimeTicks,
    uint Flags = 0)
{
    /// <summary>PF_KTHREAD in field 9: the kernel's own thread, with no program and no unit.</summary>
    const uint KernelThreadFlag = 0x00200000;

    public bool IsKernelThread => (Flags & KernelThreadFlag) != 0;

    /// <summary>Reads <c>/proc/PID/stat</c>; null when the process does not exist (or is not visible).</summary>
    public static ProcStat? TryRead(int pid)
    {
        Span<byte> line = stackalloc byte[StatLineMax];
        int length = ReadLine(pid, line);
        return length <= 0 ? null : Parse(Encoding.UTF8.GetString(line[..length]));
    }

    /// <summary>A stat line is at most ~1.1 KB, and procfs hands it over in one read.</summary>
    private const int StatLineMax = 2048;

    /// <summary>The bytes of <c>/proc/PID/stat</c> in <paramref name="line"/>; 0 or less when the process does not exist.</summary>
    /// <remarks>
    /// open, one read, close, with the path made on the stack: this is on the start call's path and runs once per PID in
    /// <c>outlive ps</c>. File.OpenHandle would add an advisory flock pair, an fstat and an lseek to each read.
    /// </remarks>
    private static unsafe int ReadLine(int pid, Span<byte> line)
    {
        byte* path = stackalloc byte[32];
        if (!System.Text.Unicode.Utf8.TryWrite(new Span<byte>(path, 32), CultureInfo.InvariantCulture, $"/proc/{pid}/stat\0", out _))
            throw new ArgumentOutOfRangeException(nameof(pid));
        int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        nint length;
        fixed (byte* buffer = line)
            length = Libc.read(fd, buffer, (nuint)line.Length);
        Libc.close(fd);
        return (int)length;
    }

    /// <summary>
    /// Only what liveness needs, start time (field 22) and state (field 3), read and parsed without allocating:
    /// <c>outlive ps</c> asks this once per PID in the registry. False when the process does not exist (or is not visible).
    /// </summary>
    public static bool TryReadStart(int pid, out ulong startTimeTicks, out bool isZombie)
    {
        startTimeTicks = 0;
        isZombie = false;
        Span<byte> line = stackalloc byte[StatLineMax];
        int length = ReadLine(pid, line);
        if (length <= 0)
            return false;
        ReadOnlySpan<byte> fields = line[..length];
        int close = fields.LastIndexOf((byte)')');
        if (close < 0)
            throw new FormatException($"not a /proc/PID/stat line for pid {pid}");
        fields = fields[(close + 1)..];
        // After the command: field 3 (state) first, so field 22 is the 20th.
        for (int field = 3; field <= 22; field++)
        {
            fields = fields.TrimStart((byte)' ');
            int end = fields.IndexOfAny((byte)' ', (byte)'\n');
            ReadOnlySpan<byte> value = end < 0 ? fields : fields[..end];
            if (value.IsEmpty)
                throw new FormatException($"short /proc/PID/stat line for pid {pid}");
            if (field == 3)
                isZombie = value[0] == (byte)'Z';
            else if (field == 22 && !(System.Buffers.Text.Utf8Parser.TryParse(value, out startTimeTicks, out int used) && used == value.Length))
                throw new FormatException($"bad start time in /proc/PID/stat for pid {pid}");
            fields = fields[value.Length..];
        }
        return true;
    }

    /// <summary>Every visible process, in /proc's order; processes that exit meanwhile are skipped.</summary>
    public static IEnumerable<ProcStat> ReadAll()
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && TryRead(pid) is { } stat)
                yield return stat;
        }
    }

    /// <summary>Parses one stat line. The command (field 2) may hold spaces and ')' so we split after its last ')'.</summary>
    public static ProcStat Parse(string line)
    {
        int open = line.IndexOf('(');
        int close = line.LastIndexOf(')');
        if (open < 1 || close < open)
            throw new FormatException($"not a /proc/PID/stat line: '{line}'");
        int pid = int.Parse(line.AsSpan(0, open).Trim(), CultureInfo.InvariantCulture);
        string comm = line.Substring(open + 1, close - open - 1);
        string[] rest = line.Substring(close + 1).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // rest[0] is field 3 (state), so field N is rest[N - 3].
        if (rest.Length < 20)
            throw new FormatException($"short /proc/PID/stat line for pid {pid}");
        return new ProcStat(
            pid,
            comm,
            rest[0][0],
            int.Parse(rest[1], CultureInfo.InvariantCulture),
            int.Parse(rest[2], CultureInfo.InvariantCulture),
            int.Parse(rest[3], CultureInfo.InvariantCulture),
            int.Parse(rest[4], CultureInfo.InvariantCulture),
            ulong.Parse(rest[19], CultureInfo.InvariantCulture),
            uint.Parse(rest[6], CultureInfo.InvariantCulture));
    }

    /// <summary>A zombie has exited but not been reaped.</summary>
    public bool IsZombie => State == 'Z';
}
