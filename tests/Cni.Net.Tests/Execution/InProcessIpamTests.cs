using System.Text;
using Cni.Net.Execution;
using Cni.Net.Plugins;
using Cni.Net.Spec;
using Cni.Net.Tests.Plugins.Sdk;

namespace Cni.Net.Tests.Execution;

/// <summary>
/// An in-process plugin's IPAM delegation stays in-process when the executor has the IPAM plugin registered too, and
/// is then indistinguishable from the exec'd delegation: same stdin and environment, same result, same error codes,
/// same release of an allocation when ADD fails afterwards. Unregistered IPAM plugins are still exec'd from CNI_PATH.
/// </summary>
public sealed class InProcessIpamTests : IDisposable
{
    private const string Result = """{"cniVersion":"1.1.0","ips":[{"address":"10.0.0.2/24","gateway":"10.0.0.1"}]}""";

    private readonly FakePluginDirectory _plugins = new();
    private readonly string _cacheDir = Directory.CreateTempSubdirectory("cni-cache-").FullName;

    public void Dispose()
    {
        _plugins.Dispose();
        Directory.Delete(_cacheDir, true);
    }

    /// <summary>A main plugin that delegates to its IPAM plugin as bridge does (and fails after it when told to).</summary>
    private sealed class Delegating : ICniPlugin
    {
        public bool FailAfterIpam { get; init; }

        public async ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken)
        {
            CniResult ipam = await CniIpam.AddAsync(request, cancellationToken);
            if (FailAfterIpam)
            {
                throw new CniException((CniErrorCode)121, "link setup failed after IPAM");
            }
            return ipam;
        }

        public async ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken) =>
            await CniIpam.DelAsync(request, cancellationToken);

        public async ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken) =>
            await CniIpam.CheckAsync(request, cancellationToken);
    }

    /// <summary>The same delegation from a plugin on the typed-config SDK, as the bridge sample is.</summary>
    private sealed class TypedDelegating() : CniPlugin<SdkTestConfig>(() => SdkTestJsonContext.Default)
    {
        protected override async ValueTask<CniResult> AddAsync(CniPluginRequest<SdkTestConfig> request, CancellationToken cancellationToken) =>
            await CniIpam.AddAsync(request, cancellationToken);

        protected override async ValueTask DelAsync(CniPluginRequest<SdkTestConfig> request, CancellationToken cancellationToken) =>
            await CniIpam.DelAsync(request, cancellationToken);

        protected override async ValueTask CheckAsync(CniPluginRequest<SdkTestConfig> request, CancellationToken cancellationToken) =>
            await CniIpam.CheckAsync(request, cancellationToken);
    }

    /// <summary>An IPAM plugin that records what it was given as the exec'd fake records it.</summary>
    private sealed class Ipam : ICniPlugin
    {
        public List<(string Command, string Stdin, Dictionary<string, string> Env)> Calls { get; } = [];

        public CniException? Throw { get; init; }

        public List<bool> ProcessOutlivesRequest { get; } = [];

        private void Record(CniPluginRequest r)
        {
            ProcessOutlivesRequest.Add(r.ProcessOutlivesRequest);
            string command = r.Command.ToString().ToUpperInvariant();
            var env = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["CNI_COMMAND"] = command,
                ["CNI_CONTAINERID"] = r.ContainerId,
                ["CNI_NETNS"] = r.NetNs ?? "",
                ["CNI_IFNAME"] = r.IfName,
                ["CNI_ARGS"] = r.Environment.Args ?? "",
                ["CNI_PATH"] = string.Join(':', r.Path),
                ["CNI_NETNS_OVERRIDE"] = "1",
            };
            Calls.Add((command, Encoding.UTF8.GetString(r.StdinData.Span), env));
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

    private CniChainExecutor Executor(ICniPlugin main, ICniPlugin? ipam)
    {
        var o = new CniExecutorOptions { CacheDirectory = _cacheDir, Environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["CNI_NETNS_OVERRIDE"] = "1" } };
        o.PluginDirectories.Clear();
        o.PluginDirectories.Add(_plugins.Path);
        var executor = new CniChainExecutor(o);
        executor.RegisterPlugin("main", main);
        if (ipam is not null)
        {
            executor.RegisterPlugin("ipam", ipam);
        }
        return executor;
    }

    private static NetworkConfigList Network() => NetworkConfigList.Parse("""
        {"cniVersion":"1.1.0","name":"n","plugins":[{"type":"main","ipam":{"type":"ipam","subnet":"10.0.0.0/24"}}]}
        """u8.ToArray());

    private static CniRuntimeRequest Request() => new("ctr1", "/proc/self/ns/net") { Args = [new("A", "1")] };

    [Fact]
    public async Task RegisteredIpam_RunsInProcess_WithWhatTheExecdIpamGets_AndTheSameResult()
    {
        _plugins.AddPrinting("ipam", Result);
        CniChainExecutor execd = Executor(new Delegating(), ipam: null);
        CniResult viaExec = await execd.AddAsync(Network(), Request());
        await execd.DelAsync(Network(), Request());
        Assert.Equal(["ipam ADD", "ipam DEL"], _plugins.Order());

        var ipam = new Ipam();
        CniChainExecutor inProcess = Executor(new Delegating(), ipam);
        CniResult viaInProcess = await inProcess.AddAsync(Network(), Request());
        await inProcess.DelAsync(Network(), Request());

        Assert.Equal(["ipam ADD", "ipam DEL"], _plugins.Order()); // nothing more was exec'd
        Assert.Equal(viaExec.ToUtf8Bytes(), viaInProcess.ToUtf8Bytes());
        Assert.Equal(["ADD", "DEL"], ipam.Calls.Select(c => c.Command));
        Assert.Equal(_plugins.Stdin(1), ipam.Calls[0].Stdin);
        Assert.Equal(_plugins.Stdin(2), ipam.Calls[1].Stdin);
        Assert.Equal(_plugins.Env(1), ipam.Calls[0].Env);
        Assert.Equal(_plugins.Env(2), ipam.Calls[1].Env);
        Assert.Equal([true, true], ipam.ProcessOutlivesRequest); // the executor's process goes on after each
    }

    /// <summary>A main plugin that, as bridge does, works while its IPAM plugin runs and only then awaits it.</summary>
    private sealed class Overlapping(ManualResetEventSlim gate) : ICniPlugin
    {
        public bool StillRunningWhenStarted { get; private set; }

        public async ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken)
        {
            ValueTask<CniResult> ipam = CniIpam.AddAsync(request, cancellationToken);
            StillRunningWhenStarted = !ipam.IsCompleted;
            gate.Set();
            return await ipam;
        }

        public ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    /// <summary>An IPAM plugin that answers only once the main plugin has gone on (or after five seconds).</summary>
    private sealed class Gated(ManualResetEventSlim gate) : ICniPlugin
    {
        public ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken)
        {
            gate.Wait(TimeSpan.FromSeconds(5), CancellationToken.None);
            return ValueTask.FromResult(CniResult.Parse(Encoding.UTF8.GetBytes(Result)));
        }

        public ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task InProcessIpam_RunsWhileTheDelegatingPluginGoesOn_AsAnExecdOneDoes()
    {
        using var gate = new ManualResetEventSlim();
        var main = new Overlapping(gate);
        CniResult result = await Executor(main, new Gated(gate)).AddAsync(Network(), Request());

        // Run on the caller's thread, the IPAM plugin would have finished (after its five seconds) before AddAsync
        // returned to the main plugin.
        Assert.True(main.StillRunningWhenStarted);
        Assert.Equal("10.0.0.2/24", result.IPs[0].Address.ToString());
    }

    [Fact]
    public async Task TypedConfigPlugin_KeepsItsDelegationInProcess()
    {
        // No "ipam" binary on CNI_PATH: an exec would fail with "failed to find plugin".
        var ipam = new Ipam();
        CniChainExecutor inProcess = Executor(new TypedDelegating(), ipam);
        CniResult result = await inProcess.AddAsync(Network(), Request());
        await inProcess.CheckAsync(Network(), Request());
        await inProcess.DelAsync(Network(), Request());

        Assert.Equal(["ADD", "CHECK", "DEL"], ipam.Calls.Select(c => c.Command));
        Assert.Empty(_plugins.Order());
        Assert.Equal("10.0.0.2/24", result.IPs[0].Address.ToString());
    }

    [Fact]
    public async Task InProcessIpamError_ReachesTheRuntimeWithTheExecdErrorsCodeMessageAndDetails()
    {
        _plugins.AddPrinting("ipam", """{"cniVersion":"1.1.0","code":11,"msg":"store busy","details":"try later"}""", exitCode: 1);
        var execd = await Assert.ThrowsAsync<CniException>(async () => await Executor(new Delegating(), null).AddAsync(Network(), Request()));

        var ipam = new Ipam { Throw = new CniException(CniErrorCode.TryAgainLater, "store busy", "try later") };
        var inProcess = await Assert.ThrowsAsync<CniException>(async () => await Executor(new Delegating(), ipam).AddAsync(Network(), Request()));

        Assert.Equal(CniErrorCode.TryAgainLater, inProcess.Code);
        Assert.Equal(execd.Code, inProcess.Code);
        Assert.Equal(execd.Message, inProcess.Message);
        Assert.Equal(execd.Details, inProcess.Details);
        Assert.Single(ipam.Calls);
    }

    [Fact]
    public async Task AddFailingAfterInProcessIpam_ReleasesTheAllocationInProcess_AsTheExecdPathDoes()
    {
        _plugins.AddPrinting("ipam", Result);
        var execd = await Assert.ThrowsAsync<CniException>(async () =>
            await Executor(new Delegating { FailAfterIpam = true }, null).AddAsync(Network(), Request()));
        Assert.Equal(["ipam ADD", "ipam DEL"], _plugins.Order());

        var ipam = new Ipam();
        var inProcess = await Assert.ThrowsAsync<CniException>(async () =>
            await Executor(new Delegating { FailAfterIpam = true }, ipam).AddAsync(Network(), Request()));

        Assert.Equal(execd.Code, inProcess.Code);
        Assert.Equal(execd.Message, inProcess.Message);
        Assert.Equal(["ADD", "DEL"], ipam.Calls.Select(c => c.Command));
        Assert.Equal(_plugins.Stdin(2), ipam.Calls[1].Stdin);
        Assert.Equal(["ipam ADD", "ipam DEL"], _plugins.Order());
    }
}
