using System.Runtime.InteropServices;

namespace Outlive.Interop;

internal static partial class Libc
{
    [LibraryImport(Name, EntryPoint = "getuid")]
    internal static partial uint getuid();

    [StructLayout(LayoutKind.Sequential)]
    internal struct Passwd
    {
        public nint Name;
        public nint Password;
        public uint Uid;
        public uint Gid;
        public nint Gecos;
        public nint Dir;
        public nint Shell;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct Group
    {
        public nint Name;
        public nint Password;
        public uint Gid;
        public nint Members;
    }

    [LibraryImport(Name, EntryPoint = "getpwnam_r", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int getpwnam_r(string name, Passwd* pwd, byte* buf, nuint buflen, Passwd** result);

    [LibraryImport(Name, EntryPoint = "getpwuid_r")]
    private static unsafe partial int getpwuid_r(uint uid, Passwd* pwd, byte* buf, nuint buflen, Passwd** result);

    [LibraryImport(Name, EntryPoint = "getgrnam_r", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int getgrnam_r(string name, Group* grp, byte* buf, nuint buflen, Group** result);

    [LibraryImport(Name, EntryPoint = "getgrgid_r")]
    private static unsafe partial int getgrgid_r(uint gid, Group* grp, byte* buf, nuint buflen, Group** result);

    internal readonly record struct UserEntry(string Name, uint Uid, uint Gid, string Home);

    /// <summary>A user by name, or by number when <paramref name="nameOrUid"/> is all digits; null when unknown.</summary>
    internal static unsafe UserEntry? LookupUser(string nameOrUid)
    {
        byte* buffer = stackalloc byte[16384];
        Passwd pwd;
        Passwd* result;
        int rc = uint.TryParse(nameOrUid, out uint uid)
            ? getpwuid_r(uid, &pwd, buffer, 16384, &result)
            : getpwnam_r(nameOrUid, &pwd, buffer, 16384, &result);
        if (rc != 0 || result == null)
            return null;
        return new UserEntry(
            Marshal.PtrToStringUTF8(pwd.Name) ?? nameOrUid, pwd.Uid, pwd.Gid, Marshal.PtrToStringUTF8(pwd.Dir) ?? "/");
    }

    /// <summary>A group id by name or number; null when unknown.</summary>
    internal static unsafe uint? LookupGroup(string nameOrGid)
    {
        byte* buffer = stackalloc byte[16384];
        Group grp;
        Group* result;
        int rc = uint.TryParse(nameOrGid, out uint gid)
            ? getgrgid_r(gid, &grp, buffer, 16384, &result)
            : getgrnam_r(nameOrGid, &grp, buffer, 16384, &result);
        return rc != 0 || result == null ? null : grp.Gid;
    }
}
