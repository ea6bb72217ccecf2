using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Reliability;
using Cni.Net.Plugins.Server;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Plugins.Startup;

/// <summary>
/// The published shim (CniNetShimEntry): its native entry point forwards an ordinary invocation before the C library
/// and the runtime start, sending the request the managed client would send and printing the answer as it would; in
/// every other case the managed client answers, with the stdin the entry point had read.
/// </summary>
public sealed class ShimEntryTests : IDisposable
{
    private const string Config = """{"cniVersion":"0.4.0","name":"net1","type":"bridge"}""";

    private readonly string _dir = Directory.CreateTempSubdirectory("cni-net-shim-entry-").FullName;
    private readonly string _socket;
    private readonly string _shim;

    public ShimEntryTests()
    {
        _socket = Path.Combine(_dir, "server.sock");
        // Installed under a plugin's name, as a node installs it: argv[0]'s file name is the plugin type.
        _shim = Path.Combine(_dir, "bridge");
        File.Copy(ShapedChainNode.PublishedTool("cni-shim"), _shim);
    }

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task OrdinaryInvocation_IsForwardedBeforeTheRuntimeStarts_AsTheManagedClientWouldSendIt()
    {
        string[] env = ["CNI_COMMAND=ADD", "CNI_CONTAINERID=c1", "CNI_NETNS=/run/netns/p1", "CNI_IFNAME=eth0",
            "CNI_PATH=/opt/cni/bin", $"CNI_NET_PLUGIN_SERVER={_socket}", "LANG=C.UTF-8", "NOTE=a=b=c é"];
        byte[] answer = Encoding.UTF8.GetBytes("""{"cniVersion":"0.4.0","interfaces":[{"name":"eth0"}]}""");
        using var server = new FakeServer(_socket, FakeServer.Behaviour.Answer, exitCode: 0, answer);
        string trace = Path.Combine(_dir, "trace");
        Shell.Output r = RawExec.Run(RawExec.Mode.Plain, env, Config, "/usr/bin/strace", "-f", "-qq", "-e", "trace=clone,clone3", "-o", trace, _shim);
        FakeServer.Request request = await server.Received;

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(Encoding.UTF8.GetString(answer), r.StdOut);
        Assert.Equal("", r.StdErr);
        Assert.Equal("bridge", request.Type);
        Assert.Equal(env, request.Entries);
        Assert.Equal(Config, Encoding.UTF8.GetString(request.Stdin));
        // Byte for byte what the managed client encodes for the same invocation.
        var asRead = request.Entries.ToDictionary(e => e[..e.IndexOf('=')], e => e[(e.IndexOf('=') + 1)..]);
        Assert.Equal(PluginServerProtocol.EncodeRequest("bridge", asRead, request.Stdin), request.Raw);
        // No thread was started: the runtime (whose finalizer thread is its first) never ran.
        Assert.DoesNotContain(File.ReadAllLines(trace), l => l.Contains("clone", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ThePluginsExitCode_AndALargeStdin_PassThroughWhole()
    {
        string config = Config[..^1] + ",\"pad\":\"" + new string('x', 300_000) + "\"}";
        byte[] answer = Encoding.UTF8.GetBytes("""{"code":7,"msg":"bad config"}""");
        using var server = new FakeServer(_socket, FakeServer.Behaviour.Answer, exitCode: 7, answer);
        Shell.Output r = RawExec.Run(RawExec.Mode.Plain, ["CNI_COMMAND=ADD", $"CNI_NET_PLUGIN_SERVER={_socket}"], config, _shim);
        FakeServer.Request request = await server.Received;

        Assert.Equal(7, r.ExitCode);
        Assert.Equal(Encoding.UTF8.GetString(answer), r.StdOut);
        Assert.Equal(config, Encoding.UTF8.GetString(request.Stdin));
    }

    [Fact]
    public void NoServer_TheManagedClientAnswersCode11_FromTheStdinTheEntryRead()
    {
        string missing = Path.Combine(_dir, "nobody.sock");
        string trace = Path.Combine(_dir, "trace");
        Shell.Output r = RawExec.Run(RawExec.Mode.Plain, ["CNI_COMMAND=ADD", $"CNI_NET_PLUGIN_SERVER={missing}"], Config,
            "/usr/bin/strace", "-f", "-qq", "-e", "trace=clone,clone3", "-o", trace, _shim);

        Assert.Equal(1, r.ExitCode);
        CniError error = CniError.Parse(Encoding.UTF8.GetBytes(r.StdOut));
        Assert.Equal((uint)CniErrorCode.TryAgainLater, error.Code);
        Assert.Contains($"not running (no listener on {missing})", error.Msg, StringComparison.Ordinal);
        // The config's version: the stdin the entry point had read reached the managed client.
        Assert.Contains("\"cniVersion\": \"0.4.0\"", r.StdOut, StringComparison.Ordinal);
        Assert.Contains(File.ReadAllLines(trace), l => l.Contains("clone", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(FakeServer.Behaviour.Close, "(the plugin server closed the connection before answering)")]
    [InlineData(FakeServer.Behaviour.Garbage, "(not a CNI plugin server message)")]
    [InlineData(FakeServer.Behaviour.TooLarge, "(a block of 16777217 bytes)")]
    public async Task ServerBreaksTheRequest_Code11SaysWhatHappened_AsTheManagedClientWould(FakeServer.Behaviour behaviour, string what)
    {
        using var server = new FakeServer(_socket, behaviour, 0, []);
        Shell.Output r = RawExec.Run(RawExec.Mode.Plain, ["CNI_COMMAND=DEL", $"CNI_NET_PLUGIN_SERVER={_socket}"], Config, _shim);
        _ = await server.Received;

        Assert.Equal(1, r.ExitCode);
        CniError error = CniError.Parse(Encoding.UTF8.GetBytes(r.StdOut));
        Assert.Equal((uint)CniErrorCode.TryAgainLater, error.Code);
        Assert.Equal($"the CNI plugin server dropped the request {what}; try again later", error.Msg);
        Assert.Contains("\"cniVersion\": \"0.4.0\"", r.StdOut, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnEnvironmentTheRuntimeWouldReadDifferently_IsLeftToTheManagedClient(bool duplicate)
    {
        // .NET reads a value that is not UTF-8 with U+FFFD in place of the bad byte, and one of two entries of a key;
        // the request must carry what the managed client makes of them, not the raw entries.
        using var server = new FakeServer(_socket, FakeServer.Behaviour.Answer, 0, "{}"u8.ToArray());
        string[] env = ["CNI_COMMAND=ADD", $"CNI_NET_PLUGIN_SERVER={_socket}"];
        List<byte[]> entries = [.. env.Select(Encoding.UTF8.GetBytes)];
        entries.Add(duplicate ? "X=first"u8.ToArray() : [(byte)'X', (byte)'=', 0xff, (byte)'!']);
        if (duplicate)
        {
            entries.Add("X=second"u8.ToArray());
        }
        Shell.Output r = RawExec.Run(RawExec.Mode.Plain, entries, Config, _shim);
        FakeServer.Request request = await server.Received;

        Assert.Equal(0, r.ExitCode);
        string x = Assert.Single(request.Entries, e => e.StartsWith("X=", StringComparison.Ordinal));
        Assert.Equal(duplicate ? "X=first" : "X=\uFFFD!", x);
    }

    [Fact]
    public void StdinUnreadable_TheManagedClientReportsItsError()
    {
        Shell.Output r = RawExec.Run(RawExec.Mode.NoStdin, ["CNI_COMMAND=ADD", $"CNI_NET_PLUGIN_SERVER={_socket}"], null, _shim);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("CNI plugin shim: reading stdin failed: errno 9\n", r.StdErr);
    }

    [Theory]
    [InlineData(nameof(RawExec.Mode.NoStdout), 9)]
    [InlineData(nameof(RawExec.Mode.BrokenPipe), 32)]
    public async Task StdoutUnwritable_ExitsOneWithTheManagedClientsMessage_NotKilledBySigpipe(string mode, int errno)
    {
        using var server = new FakeServer(_socket, FakeServer.Behaviour.Answer, 0, "{\"cniVersion\":\"0.4.0\"}"u8.ToArray());
        Shell.Output r = RawExec.Run(Enum.Parse<RawExec.Mode>(mode), ["CNI_COMMAND=ADD", $"CNI_NET_PLUGIN_SERVER={_socket}"], Config, _shim);
        _ = await server.Received;
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"CNI plugin shim: writing stdout failed: errno {errno}\n", r.StdErr);
    }

    /// <summary>One connection's worth of a plugin server: records the request as sent, then answers as told.</summary>
    public sealed class FakeServer : IDisposable
    {
        public enum Behaviour { Answer, Close, Garbage, TooLarge }

        public sealed record Request(byte[] Raw, string Type, List<string> Entries, byte[] Stdin);

        private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

        public FakeServer(string path, Behaviour behaviour, int exitCode, byte[] stdout)
        {
            _listener.Bind(new UnixDomainSocketEndPoint(path));
            _listener.Listen(1);
            _serving = Task.Run(() => Serve(behaviour, exitCode, stdout));
        }

        private readonly Task<Request> _serving;

        /// <summary>The request, once answered; a shim that never connects fails the test instead of hanging it.</summary>
        public Task<Request> Received => _serving.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

        private Request Serve(Behaviour behaviour, int exitCode, byte[] stdout)
        {
            using Socket peer = _listener.Accept();
            var raw = new MemoryStream();
            byte[] Read(int count)
            {
                byte[] b = new byte[count];
                int done = 0;
                while (done < count)
                {
                    int n = peer.Receive(b, done, count - done, SocketFlags.None);
                    Assert.True(n > 0, "the shim closed the connection mid-request");
                    done += n;
                }
                raw.Write(b);
                return b;
            }
            byte[] Block() => Read((int)BinaryPrimitives.ReadUInt32LittleEndian(Read(4)));
            Assert.Equal("CNQ1"u8.ToArray(), Read(4));
            string type = Encoding.UTF8.GetString(Block());
            uint count = BinaryPrimitives.ReadUInt32LittleEndian(Read(4));
            var entries = new List<string>();
            for (uint i = 0; i < count; i++)
            {
                entries.Add(Encoding.UTF8.GetString(Block()));
            }
            byte[] stdin = Block();
            switch (behaviour)
            {
                case Behaviour.Answer:
                    peer.Send(PluginServerProtocol.EncodeResponse(exitCode, stdout));
                    break;
                case Behaviour.Garbage:
                    peer.Send([0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 0]);
                    break;
                case Behaviour.TooLarge:
                    byte[] head = [.. "CNR1"u8, 0, 0, 0, 0, 0, 0, 0, 0];
                    BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(8), PluginServerProtocol.MaxBlock + 1);
                    peer.Send(head);
                    break;
            }
            peer.Shutdown(SocketShutdown.Both);
            return new Request(raw.ToArray(), type, entries, stdin);
        }

        public void Dispose() => _listener.Dispose();
    }
}
