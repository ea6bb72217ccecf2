using System.Net.Sockets;
using System.Text;
using Cni.Net.Plugins;
using Cni.Net.Plugins.Server;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Plugins.Server;

/// <summary>
/// The resident plugin server and its shim client over a real unix socket: a forwarded invocation prints and exits
/// exactly as the plugin run by its own host would; a server that is down yields code 11 or the fallback handler;
/// requests run in parallel but one at a time per attachment; stopping drains requests in flight, and a new server
/// takes over the socket of one that died.
/// </summary>
public sealed class PluginServerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cni-server-").FullName;

    private string Socket => Path.Combine(_dir, "s.sock");

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>A deterministic plugin: ADD answers with an address derived from the container id; "fail" fails.</summary>
    private sealed class Echo : ICniPlugin
    {
        private int _running;

        public int MaxParallel;
        public Dictionary<string, int> MaxPerAttachment { get; } = [];
        private readonly Dictionary<string, int> _perAttachment = [];

        public TimeSpan Delay { get; init; }

        public async ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken)
        {
            string key = request.ContainerId + "/" + request.IfName;
            int now = Interlocked.Increment(ref _running);
            lock (_perAttachment)
            {
                MaxParallel = Math.Max(MaxParallel, now);
                int mine = _perAttachment[key] = _perAttachment.GetValueOrDefault(key) + 1;
                MaxPerAttachment[key] = Math.Max(MaxPerAttachment.GetValueOrDefault(key), mine);
            }
            try
            {
                await Task.Delay(Delay, cancellationToken);
                if (request.ContainerId == "fail")
                {
                    throw new CniException((CniErrorCode)120, "custom failure", "details here");
                }
                int n = request.ContainerId.Length;
                return CniResult.Parse(Encoding.UTF8.GetBytes(
                    $$"""{"cniVersion":"1.1.0","ips":[{"address":"10.0.0.{{n}}/24"}]}"""));
            }
            finally
            {
                lock (_perAttachment)
                {
                    _perAttachment[key]--;
                }
                Interlocked.Decrement(ref _running);
            }
        }

        public ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private static Dictionary<string, string> Env(string command, string container, string ifName = "eth0") => new(StringComparer.Ordinal)
    {
        ["CNI_COMMAND"] = command,
        ["CNI_CONTAINERID"] = container,
        ["CNI_NETNS"] = "/run/netns/nowhere",
        ["CNI_IFNAME"] = ifName,
        ["CNI_PATH"] = "/opt/cni/bin",
    };

    private static readonly byte[] s_config = """{"cniVersion":"1.0.0","name":"net","type":"echo"}"""u8.ToArray();

    private (CniPluginServer Server, Task Running, CancellationTokenSource Stop) Start(ICniPlugin plugin, TimeSpan? drain = null)
    {
        var server = new CniPluginServer(new CniPluginServerOptions { SocketPath = Socket, DrainTimeout = drain ?? TimeSpan.FromSeconds(30) });
        server.RegisterPlugin("echo", plugin);
        var stop = new CancellationTokenSource();
        Task running = server.RunAsync(stop.Token);
        SpinWait.SpinUntil(() => File.Exists(Socket), TimeSpan.FromSeconds(10));
        return (server, running, stop);
    }

    private (int ExitCode, byte[] Stdout) Forward(Dictionary<string, string> env, ICniPlugin? fallback = null, byte[]? stdin = null) =>
        CniPluginClient.Forward(Socket, "echo", env, stdin ?? s_config, fallback, null);

    private static async Task<(int ExitCode, byte[] Stdout)> Direct(ICniPlugin plugin, Dictionary<string, string> env, byte[]? stdin = null)
    {
        CniPluginOutcome o = await CniPluginHost.InvokeAsync(plugin, env, stdin ?? s_config, new CniPluginHostOptions(), CancellationToken.None,
            blockingDelegation: true);
        return (o.ExitCode, o.Stdout);
    }

    [Fact]
    public async Task ForwardedInvocations_PrintAndExitExactlyAsThePluginsOwnHost()
    {
        var plugin = new Echo();
        var (_, running, stop) = Start(plugin);
        foreach (var (env, stdin) in new[]
        {
            (Env("ADD", "pod-a"), s_config),
            (Env("ADD", "fail"), s_config),
            (Env("DEL", "pod-a"), s_config),
            (Env("VERSION", ""), """{"cniVersion":"0.4.0"}"""u8.ToArray()),
            (Env("ADD", "pod-a"), """{"cniVersion":"9.9.9","name":"net","type":"echo"}"""u8.ToArray()),
            (Env("ADD", "pod-a", "bad/name"), s_config),
        })
        {
            var viaServer = Forward(env, stdin: stdin);
            var direct = await Direct(plugin, env, stdin);
            Assert.True(direct.ExitCode == viaServer.ExitCode, Encoding.UTF8.GetString(viaServer.Stdout));
            Assert.Equal(Encoding.UTF8.GetString(direct.Stdout), Encoding.UTF8.GetString(viaServer.Stdout));
        }
        Assert.Equal(120u, CniError.Parse(Forward(Env("ADD", "fail")).Stdout).Code);
        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task ServerDown_AnswersCode11InTheConfigsVersion_OrRunsTheFallbackHandler()
    {
        var down = Forward(Env("ADD", "pod-a"));
        Assert.Equal(1, down.ExitCode);
        CniError error = CniError.Parse(down.Stdout);
        Assert.Equal((uint)CniErrorCode.TryAgainLater, error.Code);
        Assert.Contains("not running", error.Msg, StringComparison.Ordinal);
        Assert.Contains("\"cniVersion\":\"1.0.0\"", Encoding.UTF8.GetString(down.Stdout).Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);

        var plugin = new Echo();
        var fallback = Forward(Env("ADD", "pod-a"), fallback: plugin);
        var direct = await Direct(plugin, Env("ADD", "pod-a"));
        Assert.Equal(0, fallback.ExitCode);
        Assert.Equal(direct.Stdout, fallback.Stdout);

        // A type the server does not serve is not run by anyone: code 11 as well.
        var (_, running, stop) = Start(new Echo());
        var unknown = CniPluginClient.Forward(Socket, "other", Env("ADD", "pod-a"), s_config, null, null);
        Assert.Equal((uint)CniErrorCode.TryAgainLater, CniError.Parse(unknown.Stdout).Code);
        await stop.CancelAsync();
        await running;
    }

    /// <summary>Records <see cref="CniPluginRequest.ProcessOutlivesRequest"/> of every request it serves.</summary>
    private sealed class OutlivesRecorder : ICniPlugin
    {
        public List<bool> Seen { get; } = [];

        public ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken)
        {
            lock (Seen)
            {
                Seen.Add(request.ProcessOutlivesRequest);
            }
            return ValueTask.CompletedTask;
        }

        public ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task ProcessOutlivesRequest_IsTrueInTheServer_AndFalseWhereTheProcessEndsWithTheRequest()
    {
        // The shim running the handler itself (server down) and a plugin process exit after answering; the server
        // goes on. Plugins defer a deleted link's teardown only in the latter.
        var plugin = new OutlivesRecorder();
        Assert.Equal(0, Forward(Env("DEL", "pod-a"), fallback: plugin).ExitCode);
        Assert.Equal(0, (await Direct(plugin, Env("DEL", "pod-a"))).ExitCode);
        var (_, running, stop) = Start(plugin);
        Assert.Equal(0, Forward(Env("DEL", "pod-a")).ExitCode);
        await stop.CancelAsync();
        await running;
        Assert.Equal([false, false, true], plugin.Seen);
    }

    [Fact]
    public void SocketPathThatCannotBeAnAddress_AnswersACniErrorNamingIt()
    {
        // CNI_NET_PLUGIN_SERVER (or dhcp's daemonSocketPath) longer than a unix socket address holds: an error JSON
        // and exit 1, not an exception out of the shim.
        string tooLong = "/tmp/" + new string('s', 120) + ".sock";
        var (exit, stdout) = CniPluginClient.Forward(tooLong, "echo", Env("ADD", "pod-a"), s_config, null, null);
        Assert.Equal(1, exit);
        CniError error = CniError.Parse(stdout);
        Assert.Equal((uint)CniErrorCode.TryAgainLater, error.Code);
        Assert.Contains("does not fit a unix socket address", error.Msg, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ServerThatDropsTheRequest_OrAnswersGarbage_GivesCode11NamingWhatHappened(bool answerGarbage)
    {
        // A listener that reads the request and then closes (a server that died mid-request) or answers with bytes
        // that are not a response: whether it applied anything is unknown, so the runtime is told to retry.
        using var listener = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(Socket));
        listener.Listen(1);
        Task serve = Task.Run(async () =>
        {
            using System.Net.Sockets.Socket peer = await listener.AcceptAsync(TestContext.Current.CancellationToken);
            byte[] buffer = new byte[4096];
            _ = await peer.ReceiveAsync(buffer, SocketFlags.None, TestContext.Current.CancellationToken);
            if (answerGarbage)
            {
                await peer.SendAsync(new byte[12] { 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f },
                    SocketFlags.None, TestContext.Current.CancellationToken);
            }
            peer.Shutdown(SocketShutdown.Both);
        }, TestContext.Current.CancellationToken);

        var (exit, stdout) = Forward(Env("ADD", "pod-a"));
        await serve;
        Assert.Equal(1, exit);
        CniError error = CniError.Parse(stdout);
        Assert.Equal((uint)CniErrorCode.TryAgainLater, error.Code);
        Assert.Contains("dropped the request", error.Msg, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParallelRequests_RunTogether_ButOneAtATimePerAttachment()
    {
        var plugin = new Echo { Delay = TimeSpan.FromMilliseconds(150) };
        var (_, running, stop) = Start(plugin);
        var calls = new List<Task<(int, byte[])>>();
        for (int i = 0; i < 16; i++)
        {
            var env = Env("ADD", $"pod-{i % 4}");
            calls.Add(Task.Run(() => Forward(env)));
        }
        var results = await Task.WhenAll(calls);

        Assert.All(results, r => Assert.Equal(0, r.Item1));
        Assert.True(plugin.MaxParallel > 1, $"requests never overlapped (max {plugin.MaxParallel})");
        Assert.Equal(4, plugin.MaxPerAttachment.Count);
        Assert.All(plugin.MaxPerAttachment.Values, m => Assert.Equal(1, m));
        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task Stopping_FinishesRequestsInFlight_RemovesTheSocket_AndANewServerTakesOverADeadOnesSocket()
    {
        var plugin = new Echo { Delay = TimeSpan.FromMilliseconds(500) };
        var (server, running, stop) = Start(plugin);
        Task<(int ExitCode, byte[] Stdout)> inFlight = Task.Run(() => Forward(Env("ADD", "pod-a")));
        Assert.True(SpinWait.SpinUntil(() => server.RequestsInFlight == 1, TimeSpan.FromSeconds(10)));
        await stop.CancelAsync();
        await running;

        Assert.Equal(0, (await inFlight).ExitCode);
        Assert.False(File.Exists(Socket));
        Assert.Equal((uint)CniErrorCode.TryAgainLater, CniError.Parse(Forward(Env("ADD", "pod-a")).Stdout).Code);

        // A server that died leaves its socket file behind, where connecting is refused (as to this bound socket that
        // does not listen): the next server replaces it.
        using var dead = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        dead.Bind(new UnixDomainSocketEndPoint(Socket));
        Assert.True(File.Exists(Socket));
        Assert.Equal((uint)CniErrorCode.TryAgainLater, CniError.Parse(Forward(Env("ADD", "pod-a")).Stdout).Code);
        var (_, again, stopAgain) = Start(new Echo());
        Assert.Equal(0, Forward(Env("ADD", "pod-a")).ExitCode);

        // ...but a live server's socket is not stolen.
        var second = new CniPluginServer(new CniPluginServerOptions { SocketPath = Socket });
        await Assert.ThrowsAsync<IOException>(() => second.RunAsync(CancellationToken.None));
        await stopAgain.CancelAsync();
        await again;
    }
}
