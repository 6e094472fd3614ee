using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Outlive.Hosting.Tests;

/// <summary>A scratch directory for a test's registry and files, removed with whatever the test left there.</summary>
internal sealed class Scratch : IDisposable
{
    public string Path { get; } = Directory.CreateDirectory($"/var/tmp/outlive-hosting-tests-{Guid.NewGuid():N}").FullName;

    public string StateDirectory => System.IO.Path.Combine(Path, "state");

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>A host as a worker service builds it, with its log lines kept for the test to read.</summary>
internal static class TestHost
{
    public static IHost Build(IDictionary<string, string?> configuration, Action<HostApplicationBuilder> configure, LogLines? log = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(configuration);
        if (log is not null)
            builder.Logging.AddProvider(log);
        configure(builder);
        return builder.Build();
    }

    /// <summary>Waits until <paramref name="done"/> holds, up to 10 s.</summary>
    /// <summary>Polls <paramref name="done"/> for up to 10 s; whether it came true.</summary>
    public static async Task<bool> UntilAsync(Func<bool> done, CancellationToken cancellationToken)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (!done())
        {
            if (DateTime.UtcNow >= deadline)
                return false;
            await Task.Delay(10, cancellationToken);
        }
        return true;
    }
}

/// <summary>Every log line, level first.</summary>
internal sealed class LogLines : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(_lines);

    public void Dispose() { }

    private sealed class Logger(ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }
}
