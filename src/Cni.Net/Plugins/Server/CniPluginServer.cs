using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cni.Net.Plugins.Server;

/// <summary>
/// A resident plugin host: serves CNI invocations forwarded by <see cref="CniPluginClient"/> shims over a unix socket,
/// running the registered <see cref="ICniPlugin"/> handlers in this one long-lived process exactly as
/// <see cref="CniPluginHost"/> runs them in a plugin process (same environment, stdin, stdout and exit code), so a
/// pod's chain costs no plugin start-up and no JIT. IPAM delegations to registered plugins stay in-process.
/// </summary>
/// <remarks>
/// <para>Requests for the same attachment (CNI_CONTAINERID and CNI_IFNAME) run one at a time, in arrival order;
/// others run in parallel. The server keeps no state of its own — everything lives in the kernel and the plugins'
/// on-disk stores — so it can be stopped and started at any time: stopping stops accepting, lets requests in flight
/// finish (<see cref="CniPluginServerOptions.DrainTimeout"/>) and removes the socket; a new server takes over a stale
/// socket file left by a crashed one. While no server listens, shims answer code 11 ("try again later") or run the
/// handler themselves.</para>
/// </remarks>
public sealed class CniPluginServer
{
    private readonly CniPluginServerOptions _options;
    private readonly ConcurrentDictionary<string, ICniPlugin> _plugins = new(StringComparer.Ordinal);
    private readonly CniPluginHostOptions _hostOptions;
    private readonly Dictionary<string, (SemaphoreSlim Gate, int Users)> _attachments = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private int _inFlight;

    // A runtime's environment and a config are a few KiB: one read takes a whole request.
    private static readonly StreamPipeReaderOptions s_readerOptions = new(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024, leaveOpen: true);

    /// <summary>Creates a server; nothing listens until <see cref="RunAsync"/>.</summary>
    public CniPluginServer(CniPluginServerOptions? options = null)
    {
        _options = options ?? new CniPluginServerOptions();
        _hostOptions = new CniPluginHostOptions { LoggerFactory = _options.LoggerFactory, DelegatePlugins = _plugins };
        _logger = _options.LoggerFactory?.CreateLogger("Cni.Net.Plugins.Server.CniPluginServer") ?? NullLogger.Instance;
    }

    /// <summary>Requests being served now.</summary>
    public int RequestsInFlight => Volatile.Read(ref _inFlight);

    /// <summary>Serves <paramref name="type"/> (the name the shim is installed under) with <paramref name="plugin"/>.</summary>
    /// <exception cref="CniException">Code 7: <paramref name="type"/> is not a bare file name.</exception>
    public void RegisterPlugin(string type, ICniPlugin plugin)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(plugin);
        Processes.CniPluginLocator.ValidateType(type);
        _plugins[type] = plugin;
    }

    /// <summary>
    /// Listens until <paramref name="cancellationToken"/> is cancelled, then stops accepting, waits for requests in
    /// flight (up to the drain timeout) and removes the socket.
    /// </summary>
    /// <exception cref="IOException">Another server is listening on the socket, or it cannot be created.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using Socket listener = Listen();
        var connections = new List<Task>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                Socket connection;
                try
                {
                    connection = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                connections.RemoveAll(t => t.IsCompleted);
                connections.Add(Task.Run(() => ServeAsync(connection), CancellationToken.None));
            }
        }
        finally
        {
            listener.Close();
            TryDelete(_options.SocketPath);
            await Task.WhenAny(Task.WhenAll(connections), Task.Delay(_options.DrainTimeout, CancellationToken.None)).ConfigureAwait(false);
        }
    }

    private Socket Listen()
    {
        string path = _options.SocketPath;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (File.Exists(path) || Directory.Exists(path))
        {
            if (UnixStreamClient.TryConnect(path) is { } live)
            {
                live.Dispose();
                throw new IOException($"a plugin server is already listening on {path}");
            }
            // A socket file left by a server that died: take it over.
            File.Delete(path);
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            socket.Listen(512);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException($"cannot listen on {path}: {e.Message}", e);
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        Interlocked.Increment(ref _inFlight);
        try
        {
            using (connection)
            await using (var stream = new NetworkStream(connection, ownsSocket: false))
            {
                PluginServerProtocol.Request request;
                PipeReader reader = PipeReader.Create(stream, s_readerOptions);
                try
                {
                    using var readLimit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    request = await PluginServerProtocol.ReadRequestAsync(reader, readLimit.Token).ConfigureAwait(false);
                }
                finally
                {
                    // Its buffers go back to the pool; the stream stays open for the answer.
                    await reader.CompleteAsync().ConfigureAwait(false);
                }
                CniPluginOutcome outcome = await HandleAsync(request).ConfigureAwait(false);
                await stream.WriteAsync(PluginServerProtocol.EncodeResponse(outcome.ExitCode, outcome.Stdout)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidDataException or OperationCanceledException)
        {
            // The shim went away or spoke nonsense; it sees a broken connection (code 11), nothing else to do.
            PluginHostLog.ServerDroppedConnection(_logger, e.Message);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    internal async ValueTask<CniPluginOutcome> HandleAsync(PluginServerProtocol.Request request)
    {
        if (!_plugins.TryGetValue(request.Type, out ICniPlugin? plugin))
        {
            return CniPluginHost.Failure(new CniException(CniErrorCode.TryAgainLater,
                $"the plugin server does not serve '{request.Type}'"), request.Stdin);
        }
        string? key = request.Environment.GetValueOrDefault("CNI_CONTAINERID") is { Length: > 0 } id
            ? id + "\0" + request.Environment.GetValueOrDefault("CNI_IFNAME")
            : null;
        SemaphoreSlim? gate = key is null ? null : Enter(key);
        if (gate is not null)
        {
            await gate.WaitAsync().ConfigureAwait(false);
        }
        try
        {
            using var limit = new CancellationTokenSource(_options.RequestTimeout);
            return await CniPluginHost.InvokeAsync(plugin, request.Environment, request.Stdin, _hostOptions, limit.Token)
                .ConfigureAwait(false);
        }
        finally
        {
            if (gate is not null)
            {
                gate.Release();
                Leave(key!);
            }
        }
    }

    private SemaphoreSlim Enter(string key)
    {
        lock (_attachments)
        {
            (SemaphoreSlim gate, int users) = _attachments.TryGetValue(key, out var entry) ? entry : (new SemaphoreSlim(1, 1), 0);
            _attachments[key] = (gate, users + 1);
            return gate;
        }
    }

    private void Leave(string key)
    {
        lock (_attachments)
        {
            (SemaphoreSlim gate, int users) = _attachments[key];
            if (users == 1)
            {
                _attachments.Remove(key);
                gate.Dispose();
            }
            else
            {
                _attachments[key] = (gate, users - 1);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
