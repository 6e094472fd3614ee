using System.Collections.Immutable;
using Outlive.Interop;
using Tmds.DBus.Protocol;

namespace Outlive.Systemd.DBus;

/// <summary>
/// One <c>(sv)</c> entry of StartTransientUnit's property array: a systemd property name and a typed
/// value (org.freedesktop.systemd1(5), "Transient units"). Build them with the static factories.
/// </summary>
internal abstract record UnitProperty(string Name)
{
    /// <summary>The D-Bus signature of the value, e.g. "s", "au", "a(sasb)".</summary>
    public abstract string Signature { get; }

    /// <summary>Writes the value as a variant (signature, then the value).</summary>
    internal abstract void WriteVariant(ref MessageWriter writer);

    public static UnitProperty Description(string text) => new StringProperty("Description", text);

    public static UnitProperty Slice(string slice)
    {
        UnitName.Validate(slice);
        if (UnitName.TypeOf(slice) != "slice")
            throw UnitName.Invalid(slice, "a Slice= value must end in .slice");
        return new StringProperty("Slice", slice);
    }

    /// <summary><c>CollectMode=inactive-or-failed</c> unloads the unit even when it failed, so names are not left behind.</summary>
    public static UnitProperty CollectMode(CollectMode mode) => new StringProperty("CollectMode", mode.ToSystemdString());

    /// <summary>The processes a scope adopts (scopes only; systemd moves them into the scope's cgroup).</summary>
    public static UnitProperty Pids(params uint[] pids) => new UInt32ArrayProperty("PIDs", [.. pids]);

    /// <summary>The service's file-mode creation mask (systemd.exec UMask=), type <c>u</c> on the bus.</summary>
    public static UnitProperty UMask(uint mask) => new UInt32Property("UMask", mask);

    /// <summary>
    /// What a transient service runs: <paramref name="path"/> with <paramref name="argv"/> (argv[0] included),
    /// passed verbatim. systemd expands <c>$VAR</c> and <c>$$</c> in ExecStart arguments even over D-Bus
    /// (seen on 252: "$$" arrived as "$"), so every '$' is doubled here.
    /// </summary>
    public static UnitProperty ExecStart(string path, IReadOnlyList<string> argv, bool ignoreFailure = false) =>
        new ExecStartProperty("ExecStart", path, [.. argv.Select(a => a.Replace("$", "$$", StringComparison.Ordinal))], ignoreFailure);

    public static UnitProperty WorkingDirectory(string path) => new StringProperty("WorkingDirectory", path);

    /// <summary>Environment as <c>NAME=value</c> strings.</summary>
    public static UnitProperty Environment(IEnumerable<string> assignments) => new StringArrayProperty("Environment", [.. assignments]);

    public static UnitProperty User(string user) => new StringProperty("User", user);

    public static UnitProperty Group(string group) => new StringProperty("Group", group);

    /// <summary>An fd systemd uses as the service's stdout (opened by Outlive, with the child's credentials).</summary>
    public static UnitProperty StandardOutputFileDescriptor(int fd) => new FileDescriptorProperty("StandardOutputFileDescriptor", fd);

    public static UnitProperty StandardErrorFileDescriptor(int fd) => new FileDescriptorProperty("StandardErrorFileDescriptor", fd);

    public static UnitProperty StandardOutputToJournal() => new StringProperty("StandardOutput", "journal");

    public static UnitProperty StandardErrorToJournal() => new StringProperty("StandardError", "journal");

    /// <summary>Service <c>Type=</c>; <c>exec</c> makes the start job fail when the program cannot be executed.</summary>
    /// <summary>The SYSLOG_IDENTIFIER= of a service's journal lines (its program's name by default).</summary>
    public static UnitProperty SyslogIdentifier(string identifier) => new StringProperty("SyslogIdentifier", identifier);

    public static UnitProperty ServiceType(string type) => new StringProperty("Type", type);

    /// <summary><c>Restart=</c>: no, on-success, on-failure, on-abnormal, on-watchdog, on-abort or always.</summary>
    public static UnitProperty Restart(string policy) =>
        RestartPolicies.Contains(policy)
            ? new StringProperty("Restart", policy)
            : throw new ArgumentException($"Restart must be one of {string.Join(", ", RestartPolicies)}", nameof(policy));

    static readonly string[] RestartPolicies = ["no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"];
}

sealed record StringProperty(string Name, string Value) : UnitProperty(Name)
{
    public override string Signature => "s";

    internal override void WriteVariant(ref MessageWriter writer) => writer.WriteVariantString(Value);
}

/// <summary>An fd, passed with the message (SCM_RIGHTS); each message gets its own duplicate, which it then owns and closes.</summary>
sealed record FileDescriptorProperty(string Name, int Fd) : UnitProperty(Name)
{
    public override string Signature => "h";

    internal override void WriteVariant(ref MessageWriter writer)
    {
        int copy = Libc.fcntl(Fd, Libc.F_DUPFD_CLOEXEC, 3);
        if (copy < 0)
            throw new ChildStartException($"cannot pass an output file to systemd: {Libc.StrError(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
        writer.WriteVariantHandle(new Microsoft.Win32.SafeHandles.SafeFileHandle(copy, ownsHandle: true));
    }
}

sealed record UInt32Property(string Name, uint Value) : UnitProperty(Name)
{
    public override string Signature => "u";

    internal override void WriteVariant(ref MessageWriter writer) => writer.WriteVariantUInt32(Value);
}

sealed record UInt64Property(string Name, ulong Value) : UnitProperty(Name)
{
    public override string Signature => "t";

    internal override void WriteVariant(ref MessageWriter writer) => writer.WriteVariantUInt64(Value);
}

sealed record UInt32ArrayProperty(string Name, ImmutableArray<uint> Values) : UnitProperty(Name)
{
    public override string Signature => "au";

    internal override void WriteVariant(ref MessageWriter writer)
    {
        writer.WriteSignature(Signature);
        writer.WriteArray(Values.AsSpan());
    }
}

sealed record StringArrayProperty(string Name, ImmutableArray<string> Values) : UnitProperty(Name)
{
    public override string Signature => "as";

    internal override void WriteVariant(ref MessageWriter writer)
    {
        writer.WriteSignature(Signature);
        writer.WriteArray(Values.AsSpan());
    }
}

/// <summary>ExecStart is a list of (path, argv, ignore-failure); we send one command.</summary>
sealed record ExecStartProperty(string Name, string Path, ImmutableArray<string> Argv, bool IgnoreFailure) : UnitProperty(Name)
{
    public override string Signature => "a(sasb)";

    internal override void WriteVariant(ref MessageWriter writer)
    {
        writer.WriteSignature(Signature);
        ArrayStart commands = writer.WriteArrayStart(DBusType.Struct);
        writer.WriteStructureStart();
        writer.WriteString(Path);
        writer.WriteArray(Argv.AsSpan());
        writer.WriteBool(IgnoreFailure);
        writer.WriteArrayEnd(commands);
    }
}
