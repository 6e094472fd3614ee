using Tmds.DBus.Protocol;

namespace Outlive.Systemd.DBus;

/// <summary>
/// logind's policy for ending sessions (logind.conf(5)): whether a session's processes are killed when it ends,
/// decided per user the way logind's manager_shall_kill() does.
/// </summary>
/// <param name="KillUserProcesses">The global switch (Debian's default: no).</param>
/// <param name="KillOnlyUsers">When not empty, only these users' sessions are killed.</param>
/// <param name="KillExcludeUsers">Never killed; logind's default is root.</param>
internal sealed record LogindPolicy(bool KillUserProcesses, IReadOnlyList<string> KillOnlyUsers, IReadOnlyList<string> KillExcludeUsers)
{
    /// <summary>What logind does by default when nothing overrides it.</summary>
    public static LogindPolicy Default { get; } = new(false, [], ["root"]);

    /// <summary>Whether logind kills what is left in a session of <paramref name="user"/> when it ends (rather than abandoning it).</summary>
    public bool KillsSessionsOf(string user)
    {
        if (KillExcludeUsers.Count == 0 ? user == "root" : KillExcludeUsers.Contains(user))
            return false;
        return KillOnlyUsers.Count > 0 ? KillOnlyUsers.Contains(user) : KillUserProcesses;
    }

    /// <summary>The setting that decided <see cref="KillsSessionsOf"/> for <paramref name="user"/>, for messages.</summary>
    public string Explain(string user)
    {
        if (KillExcludeUsers.Count == 0 ? user == "root" : KillExcludeUsers.Contains(user))
            return $"KillExcludeUsers= lists {user}";
        if (KillOnlyUsers.Count > 0)
            return KillOnlyUsers.Contains(user) ? $"KillOnlyUsers= lists {user}" : $"KillOnlyUsers= does not list {user}";
        return $"KillUserProcesses={(KillUserProcesses ? "yes" : "no")}";
    }
}

/// <summary>A login session as logind describes it (org.freedesktop.login1.Session).</summary>
/// <param name="Id">e.g. <c>c1</c> or <c>3</c>; its cgroup is <c>session-ID.scope</c>.</param>
/// <param name="UserName">Whose session.</param>
/// <param name="Class"><c>user</c>, <c>greeter</c>, <c>lock-screen</c>, <c>background</c>.</param>
/// <param name="Type"><c>tty</c>, <c>x11</c>, <c>wayland</c>, <c>unspecified</c>…</param>
/// <param name="State"><c>online</c>, <c>active</c> or <c>closing</c>.</param>
internal sealed record LoginSession(string Id, string UserName, string Class, string Type, string State);

/// <summary>
/// logind over the system bus: the kill policy, sessions and users' linger. Each read is one or two calls; a
/// bus without logind answers with <see cref="SystemdUnavailableException"/>.
/// </summary>
internal static class Logind
{
    const string Service = "org.freedesktop.login1";
    const string ManagerPath = "/org/freedesktop/login1";
    const string ManagerInterface = "org.freedesktop.login1.Manager";
    const string PropertiesInterface = "org.freedesktop.DBus.Properties";
    const string NoSuchUser = "org.freedesktop.login1.NoSuchUser";

    /// <summary>Where logind keeps linger, one empty file per user (what its Linger property reads).</summary>
    internal const string LingerDirectory = "/var/lib/systemd/linger";

    public static async Task<LogindPolicy> GetPolicyAsync(CancellationToken cancellationToken)
    {
        var all = await GetAllAsync(ManagerPath, ManagerInterface, cancellationToken).ConfigureAwait(false);
        return new LogindPolicy(
            all.TryGetValue("KillUserProcesses", out var kill) && kill.GetBool(),
            all.TryGetValue("KillOnlyUsers", out var only) ? only.GetArray<string>() : [],
            all.TryGetValue("KillExcludeUsers", out var exclude) ? exclude.GetArray<string>() : ["root"]);
    }

    /// <summary>The session with that id; null when logind does not know it (it ended).</summary>
    public static async Task<LoginSession?> TryGetSessionAsync(string id, CancellationToken cancellationToken)
    {
        string path;
        try
        {
            path = await CallAsync("GetSession", ManagerPath, ManagerInterface, "s", (ref MessageWriter w) => w.WriteString(id), ReadObjectPath, cancellationToken).ConfigureAwait(false);
        }
        catch (SystemdRequestRejectedException)
        {
            return null; // NoSuchSession
        }
        var all = await GetAllAsync(path, "org.freedesktop.login1.Session", cancellationToken).ConfigureAwait(false);
        string Text(string name) => all.TryGetValue(name, out var value) ? value.GetString() : "";
        return new LoginSession(id, Text("Name"), Text("Class"), Text("Type"), Text("State"));
    }

    /// <summary>
    /// Whether <paramref name="user"/> lingers, i.e. their manager runs without a session and stays after the last
    /// one ends. Asked of logind; a user logind does not track (no session, no linger) is read from its linger file.
    /// </summary>
    public static async Task<bool> LingersAsync(uint uid, string user, CancellationToken cancellationToken)
    {
        string path;
        try
        {
            path = await CallAsync("GetUser", ManagerPath, ManagerInterface, "u", (ref MessageWriter w) => w.WriteUInt32(uid), ReadObjectPath, cancellationToken).ConfigureAwait(false);
        }
        catch (SystemdRequestRejectedException e) when (e.ErrorName == NoSuchUser)
        {
            return File.Exists(Path.Combine(LingerDirectory, user));
        }
        VariantValue linger = await CallAsync("Get", path, PropertiesInterface, "ss", (ref MessageWriter w) =>
        {
            w.WriteString("org.freedesktop.login1.User");
            w.WriteString("Linger");
        }, static (message, _) => message.GetBodyReader().ReadVariantValue(), cancellationToken).ConfigureAwait(false);
        return linger.GetBool();
    }

    /// <summary>The session id of a <c>session-ID.scope</c>, or null for any other unit.</summary>
    public static string? SessionIdOf(string? unit) =>
        unit is not null && unit.StartsWith("session-", StringComparison.Ordinal) && unit.EndsWith(".scope", StringComparison.Ordinal) && unit.Length > "session-.scope".Length
            ? unit["session-".Length..^".scope".Length]
            : null;

    static Task<Dictionary<string, VariantValue>> GetAllAsync(string path, string @interface, CancellationToken cancellationToken) =>
        CallAsync("GetAll", path, PropertiesInterface, "s", (ref MessageWriter w) => w.WriteString(@interface),
            static (message, _) => message.GetBodyReader().ReadDictionaryOfStringToVariantValue(), cancellationToken);

    static Task<T> CallAsync<T>(string method, string path, string @interface, string signature, WriteArguments writeArguments,
        MessageValueReader<T> reader, CancellationToken cancellationToken) =>
        DBusClient.For(ManagerKind.System).CallAsync(method, "logind", reader, connected =>
        {
            // logind has no peer socket: when only systemd's private socket answers, there is no logind to ask.
            if (!connected.IsBus)
                throw new SystemdUnavailableException("logind is asked over the system bus, and the system bus is not running");
            MessageWriter writer = connected.Connection.GetMessageWriter();
            try
            {
                writer.WriteMethodCallHeader(Service, path, @interface, method, signature);
                writeArguments(ref writer);
                return writer.CreateMessage();
            }
            finally
            {
                writer.Dispose();
            }
        }, cancellationToken);

    /// <summary>MessageWriter is a struct: arguments must be written to the caller's copy, by reference.</summary>
    delegate void WriteArguments(ref MessageWriter writer);

    static string ReadObjectPath(Message message, object? _) => message.GetBodyReader().ReadObjectPathAsString();
}
