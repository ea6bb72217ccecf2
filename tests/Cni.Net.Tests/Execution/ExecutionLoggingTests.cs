using System.Collections.Concurrent;
using System.Text;
using Cni.Net.Execution;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Tests.Execution;

public sealed class ExecutionLoggingTests : IDisposable
{
    private readonly FakePluginDirectory _plugins = new();
    private readonly string _cache = Directory.CreateTempSubdirectory("cni-cache-").FullName;

    public void Dispose()
    {
        _plugins.Dispose();
        Directory.Delete(_cache, true);
    }

    private sealed class CapturingLoggerFactory : ILoggerFactory, ILogger
    {
        public ConcurrentQueue<(int Id, LogLevel Level, string Message)> Entries { get; } = new();

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
            Entries.Enqueue((eventId.Id, logLevel, formatter(state, exception)));
    }

    [Fact]
    public async Task FailingPlugin_LogsStartFinishStderrAndFailure()
    {
        _plugins.Add("noisy", """echo 'warming up' >&2; printf '{"code":7,"msg":"nope"}'; exit 1""");
        var logs = new CapturingLoggerFactory();
        var options = new CniExecutorOptions { CacheDirectory = _cache, LoggerFactory = logs };
        options.PluginDirectories.Clear();
        options.PluginDirectories.Add(_plugins.Path);
        var x = new CniChainExecutor(options);
        await Assert.ThrowsAsync<CniException>(async () => await x.AddAsync(
            NetworkConfigList.Parse(Encoding.UTF8.GetBytes("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"noisy"}]}""")),
            new CniRuntimeRequest("c1", "/proc/self/ns/net")));

        var entries = logs.Entries.ToArray();
        Assert.Equal([3010, 3000, 3001, 3002, 3011], entries.Select(e => e.Id));
        Assert.Equal("ADD network n for container c1 ifname eth0", entries[0].Message);
        Assert.Contains("ended with exit code 1", entries[2].Message, StringComparison.Ordinal);
        Assert.Equal("Plugin noisy wrote to stderr: warming up\n", entries[3].Message);
        Assert.Equal((LogLevel.Warning, "ADD network n: plugin noisy failed with code 7: nope"), (entries[4].Level, entries[4].Message));
    }

    [Fact]
    public async Task Del_WhoseCacheEntryCannotBeReadOrRemoved_Succeeds_AndSaysSo()
    {
        _plugins.Add("quiet", """cat >/dev/null; [ "$CNI_COMMAND" = ADD ] && printf '{"cniVersion":"1.0.0"}'; exit 0""");
        var logs = new CapturingLoggerFactory();
        var options = new CniExecutorOptions { CacheDirectory = _cache, LoggerFactory = logs };
        options.PluginDirectories.Clear();
        options.PluginDirectories.Add(_plugins.Path);
        var x = new CniChainExecutor(options);
        NetworkConfigList network = NetworkConfigList.Parse(Encoding.UTF8.GetBytes("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"quiet"}]}"""));
        // Something that unlink(2) refuses where the entry goes: a directory that is not empty.
        string entry = Path.Combine(_cache, "results", "n-c1-eth0");
        Directory.CreateDirectory(Path.Combine(entry, "x"));

        await x.DelAsync(network, new CniRuntimeRequest("c1", "/proc/self/ns/net"));

        Assert.Contains(logs.Entries, e => e.Id == 3020 && e.Message.StartsWith($"Ignoring unreadable result cache file {entry}: ", StringComparison.Ordinal));
        (int id, LogLevel level, string message) = Assert.Single(logs.Entries, e => e.Id == 3022);
        Assert.Equal(LogLevel.Warning, level);
        Assert.StartsWith($"DEL succeeded but its cached result {entry} could not be removed: ", message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(entry));
    }
}
