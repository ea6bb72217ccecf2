using System.Text;
using System.Text.Json.Nodes;
using Cni.Net.Execution;
using Cni.Net.Plugins;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Execution;

public sealed class InProcessPluginTests : IDisposable
{
    private const string Result = """{"cniVersion":"1.1.0","interfaces":[{"name":"eth0","mac":"0a:58:0a:00:00:02","sandbox":"/proc/self/ns/net"}],"ips":[{"interface":0,"address":"10.0.0.2/24"}]}""";

    private readonly FakePluginDirectory _plugins = new();
    private readonly string _cacheDir = Directory.CreateTempSubdirectory("cni-cache-").FullName;

    public void Dispose()
    {
        _plugins.Dispose();
        Directory.Delete(_cacheDir, true);
    }

    /// <summary>Records what it was given exactly as an exec'd fake plugin records it.</summary>
    private sealed class Recorder : ICniPlugin
    {
        public List<(string Stdin, Dictionary<string, string> Env)> Calls { get; } = [];

        public Exception? Throw { get; init; }

        private void Record(CniPluginRequest r)
        {
            var env = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["CNI_COMMAND"] = r.Command.ToString().ToUpperInvariant(),
                ["CNI_CONTAINERID"] = r.ContainerId,
                ["CNI_NETNS"] = r.NetNs ?? "",
                ["CNI_IFNAME"] = r.IfName,
                ["CNI_ARGS"] = r.Environment.Args ?? "",
                ["CNI_PATH"] = string.Join(':', r.Path),
                // Set by Executor() for both kinds of plugin: the requests use this process's own namespace.
                ["CNI_NETNS_OVERRIDE"] = "1",
            };
            Calls.Add((Encoding.UTF8.GetString(r.StdinData.Span), env));
            if (Throw is not null)
            {
                throw Throw;
            }
        }

        public ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken)
        {
            Record(request);
            return ValueTask.FromResult(CniResult.Parse(Encoding.UTF8.GetBytes(Result)));
        }

        public ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken)
        {
            Record(request);
            return ValueTask.CompletedTask;
        }

        public ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken)
        {
            Record(request);
            return ValueTask.CompletedTask;
        }
    }

    private CniChainExecutor Executor()
    {
        var o = new CniExecutorOptions { CacheDirectory = _cacheDir, Environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["CNI_NETNS_OVERRIDE"] = "1" } };
        o.PluginDirectories.Clear();
        o.PluginDirectories.Add(_plugins.Path);
        return new CniChainExecutor(o);
    }

    private static NetworkConfigList Chain(string first) => NetworkConfigList.Parse(Encoding.UTF8.GetBytes($$"""
        {"cniVersion":"1.1.0","name":"n","plugins":[{"type":"{{first}}","capabilities":{"portMappings":true},"x":1},{"type":"tail"}]}
        """));

    private static CniRuntimeRequest Request() => new("ctr1", "/proc/self/ns/net")
    {
        Args = [new("A", "1")],
        CapabilityArgs = JsonNode.Parse("""{"portMappings":[{"hostPort":1,"containerPort":2,"protocol":"udp"}]}""")!.AsObject(),
    };

    [Fact]
    public async Task InProcessPlugin_SeesExactlyWhatTheExecdBinarySees_AndYieldsTheSameResult()
    {
        _plugins.AddPrinting("execd", Result);
        _plugins.AddPrinting("tail", Result);
        CniChainExecutor exec = Executor();
        CniResult viaExec = await exec.AddAsync(Chain("execd"), Request());
        await exec.DelAsync(Chain("execd"), Request());

        var recorder = new Recorder();
        CniChainExecutor inProc = Executor();
        inProc.RegisterPlugin("inproc", recorder);
        CniResult viaInProc = await inProc.AddAsync(Chain("inproc"), Request());
        await inProc.DelAsync(Chain("inproc"), Request());

        Assert.Equal(viaExec.ToUtf8Bytes(), viaInProc.ToUtf8Bytes());
        Assert.Equal(2, recorder.Calls.Count);
        (int execAdd, int execDel) = (1, 4); // execd ADD, tail ADD, tail DEL, execd DEL
        Assert.Equal(_plugins.Stdin(execAdd).Replace("\"execd\"", "\"inproc\"", StringComparison.Ordinal), recorder.Calls[0].Stdin);
        Assert.Equal(_plugins.Stdin(execDel).Replace("\"execd\"", "\"inproc\"", StringComparison.Ordinal), recorder.Calls[1].Stdin);
        Assert.Equal(_plugins.Env(execAdd), recorder.Calls[0].Env);
        Assert.Equal(_plugins.Env(execDel), recorder.Calls[1].Env);
        // The tail plugin (exec'd in both runs) received the in-process plugin's result as prevResult.
        Assert.Equal(_plugins.Stdin(2), _plugins.Stdin(6));
    }

    [Fact]
    public async Task InProcessPlugin_ErrorsReachTheRuntimeAsFromABinary()
    {
        _plugins.AddPrinting("tail", Result);
        CniChainExecutor x = Executor();
        x.RegisterPlugin("inproc", new Recorder { Throw = new CniException((CniErrorCode)120, "custom failure", "why") });
        var ex = await Assert.ThrowsAsync<CniException>(async () => await x.AddAsync(Chain("inproc"), Request()));
        Assert.Equal((CniErrorCode)120, ex.Code);
        Assert.Equal("plugin inproc failed (ADD): custom failure", ex.Message);
        Assert.Equal("why", ex.Details);
        Assert.Empty(_plugins.Order());
    }

    [Fact]
    public async Task InProcessPlugin_VersionAnsweredByHost()
    {
        CniChainExecutor x = Executor();
        x.RegisterPlugin("inproc", new Recorder());
        CniPluginVersionInfo info = await x.GetVersionInfoAsync("inproc");
        Assert.Equal(CniVersion.Supported, info.SupportedVersions);
    }

    [Fact]
    public void RegisterPlugin_TypeWithPath_Code7()
    {
        var ex = Assert.Throws<CniException>(() => Executor().RegisterPlugin("../evil", new Recorder()));
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, ex.Code);
    }
}
