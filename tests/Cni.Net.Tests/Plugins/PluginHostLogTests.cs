using System.Collections.Concurrent;
using System.Text;
using Cni.Net.Plugins;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Tests.Plugins;

/// <summary>The plugin host's log lines name the command even when the environment was rejected before it was read.</summary>
public sealed class PluginHostLogTests
{
    private sealed class NeverCalled : ICniPlugin
    {
        public ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken) => throw new InvalidOperationException("not reached");

        public ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken) => throw new InvalidOperationException("not reached");

        public ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken) => throw new InvalidOperationException("not reached");
    }

    private sealed class Capture : ILoggerFactory, ILogger
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Enqueue(formatter(state, exception));
    }

    [Fact]
    public async Task MissingContainerId_LogsTheCommandNotNull()
    {
        var logs = new Capture();
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["CNI_COMMAND"] = "ADD",
            ["CNI_NETNS"] = "/proc/self/ns/net",
            ["CNI_IFNAME"] = "eth0",
            ["CNI_PATH"] = "/opt/cni/bin",
        };
        CniPluginOutcome o = await CniPluginHost.InvokeAsync(new NeverCalled(), env,
            Encoding.UTF8.GetBytes("""{"cniVersion":"1.0.0","name":"n","type":"t"}"""),
            new CniPluginHostOptions { LoggerFactory = logs }, TestContext.Current.CancellationToken);

        Assert.Equal(1, o.ExitCode);
        string line = Assert.Single(logs.Messages);
        Assert.StartsWith("ADD container=- ifname=eth0 network=- failed code=4 (InvalidEnvironmentVariables): ", line, StringComparison.Ordinal);
        Assert.Contains("CNI_CONTAINERID", line, StringComparison.Ordinal);
        Assert.DoesNotContain("(null)", line, StringComparison.Ordinal);
    }
}
