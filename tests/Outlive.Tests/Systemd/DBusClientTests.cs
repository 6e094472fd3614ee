using System.Diagnostics;
using Outlive.Systemd.DBus;
using Tmds.DBus.Protocol;

namespace Outlive.Tests.Systemd;

/// <summary>
/// The D-Bus client's contract, against a real private <c>dbus-daemon --session</c> (no systemd needed): replies
/// never run the caller's code on the read loop, a restarted bus is reconnected, and failures are Outlive's own.
/// </summary>
public sealed class DBusClientTests : IDisposable
{
    private readonly string _dir = Directory.CreateDirectory($"/var/tmp/outlive-dbus-{Guid.NewGuid():N}").FullName;
    private Process? _daemon;

    private string Socket => Path.Combine(_dir, "bus");

    private SystemdBus Bus => new(ManagerKind.User, "unix:path=" + Socket);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        StopDaemon();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The bus's own GetId: any call will do, this one needs no service but the daemon.</summary>
    private static Task<string> GetBusIdAsync(DBusClient client, CancellationToken cancellationToken) =>
        client.CallAsync("GetId", "the bus", static (message, _) => message.GetBodyReader().ReadString(), connected =>
        {
            using MessageWriter writer = connected.Connection.GetMessageWriter();
            writer.WriteMethodCallHeader("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId");
            return writer.CreateMessage();
        }, cancellationToken);

    [Fact(Timeout = 60_000)]
    public async Task A_blocking_call_right_after_an_awaited_one_on_the_same_thread_completes_at_once()
    {
        StartDaemon();
        using var client = new DBusClient(Bus, callTimeout: TimeSpan.FromSeconds(10));

        string id = await GetBusIdAsync(client, Ct);
        // The caller now runs wherever the await resumed; blocking here must not block the reply it waits for.
        var clock = Stopwatch.StartNew();
#pragma warning disable xUnit1031 // blocking is what this test is about
        string again = GetBusIdAsync(client, Ct).GetAwaiter().GetResult();
#pragma warning restore xUnit1031

        Assert.Equal(id, again);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the blocking call took {clock.Elapsed.TotalMilliseconds:0} ms");
    }

    [Fact(Timeout = 60_000)]
    public async Task After_the_bus_restarts_the_next_call_reconnects_and_succeeds()
    {
        StartDaemon();
        using var client = new DBusClient(Bus, callTimeout: TimeSpan.FromSeconds(10));
        string before = await GetBusIdAsync(client, Ct);

        StopDaemon();
        StartDaemon();
        string after = await GetBusIdAsync(client, Ct);

        Assert.NotEqual(before, after); // a new daemon, so a new connection
    }

    [Fact(Timeout = 60_000)]
    public async Task Asking_systemd_on_a_bus_without_it_is_systemd_unavailable()
    {
        StartDaemon();
        using var client = new DBusClient(Bus, callTimeout: TimeSpan.FromSeconds(10));

        var error = await Assert.ThrowsAsync<SystemdUnavailableException>(() => client.GetVersionAsync(Ct));

        Assert.Contains("is systemd running and on this bus?", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_call_that_gets_no_answer_in_time_is_systemd_unavailable_not_a_timeout_exception()
    {
        StartDaemon();
        using var client = new DBusClient(Bus, callTimeout: TimeSpan.FromTicks(1));

        var error = await Assert.ThrowsAnyAsync<OutliveException>(() => GetBusIdAsync(client, Ct));

        Assert.IsType<SystemdUnavailableException>(error);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_disposed_client_refuses_calls_and_its_connection_is_closed()
    {
        StartDaemon();
        var client = new DBusClient(Bus);
        await GetBusIdAsync(client, Ct);

        client.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => GetBusIdAsync(client, Ct));
    }

    private void StartDaemon()
    {
        var info = new ProcessStartInfo("dbus-daemon", ["--session", "--nofork", "--nopidfile", "--address=unix:path=" + Socket])
        {
            UseShellExecute = false,
            RedirectStandardError = true,
        };
        _daemon = Process.Start(info)!;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(Socket))
        {
            if (_daemon.HasExited)
                Assert.Fail("dbus-daemon exited: " + _daemon.StandardError.ReadToEnd());
            Assert.True(DateTime.UtcNow < deadline, "dbus-daemon did not create its socket in 10 s");
            Thread.Sleep(10);
        }
    }

    private void StopDaemon()
    {
        if (_daemon is null)
            return;
        if (!_daemon.HasExited)
            _daemon.Kill();
        _daemon.WaitForExit();
        _daemon.Dispose();
        _daemon = null;
        File.Delete(Socket);
    }
}
