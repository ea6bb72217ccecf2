using System.Text;
using System.Text.Json;
using Cni.Net.Plugins;
using Cni.Net.Spec;
using Cni.Net.Tests.Execution;

namespace Cni.Net.Tests.Plugins;

/// <summary>
/// <see cref="CniPluginHostOptions.SameBuildDelegates"/>: the delegate found on CNI_PATH runs in-process only when it
/// ends in the build stamp of the host's image (here a file of the test's, in place of /proc/self/exe); else it is
/// exec'd. The fake IPAM script on CNI_PATH records every exec, so which way the delegation went shows.
/// </summary>
public sealed class SameBuildDelegationTests : IDisposable
{
    private const string Conf = """{"cniVersion":"1.1.0","name":"net1","type":"main","ipam":{"type":"fake-ipam","subnet":"10.22.0.0/16"}}""";
    private const string ExecdResult = """{"cniVersion":"1.0.0","ips":[{"address":"10.22.0.5/16"}]}""";

    private readonly FakePluginDirectory _plugins = new();
    private readonly string _image;
    private readonly byte[] _stamp = [.. Enumerable.Range(40, 16).Select(i => (byte)i), .. "CNINETB1"u8];

    public SameBuildDelegationTests()
    {
        _image = Path.Combine(_plugins.Path, "image");
        File.WriteAllBytes(_image, [.. new byte[4096], .. _stamp]);
    }

    public void Dispose() => _plugins.Dispose();

    /// <summary>An IPAM handler compiled into the "program": answers 10.22.0.9, or waits until released.</summary>
    private sealed class CompiledInIpam : ICniPlugin
    {
        public ManualResetEventSlim? Hold { get; init; }

        public bool? SawProcessOutlivesRequest { get; private set; }

        public string? SawStdin { get; private set; }

        public string? SawCommand { get; private set; }

        public ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken)
        {
            SawProcessOutlivesRequest = request.ProcessOutlivesRequest;
            SawStdin = Encoding.UTF8.GetString(request.StdinData.Span);
            SawCommand = request.Command.ToString();
            Hold?.Wait(TimeSpan.FromSeconds(20), CancellationToken.None); // deaf to cancellation, as a blocked flock is
            var result = new CniResult(CniVersion.V1_0_0);
            result.IPs.Add(new CniIPConfig { Address = CniIPNet.Parse("10.22.0.9/16") });
            return ValueTask.FromResult(result);
        }

        public ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class DelegatingPlugin : ICniPlugin
    {
        public ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken) =>
            CniIpam.AddAsync(request, cancellationToken);

        public ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken) => CniIpam.DelAsync(request, cancellationToken);

        public ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private void AddIpamScript(byte[]? stamp)
    {
        string path = _plugins.AddPrinting("fake-ipam", ExecdResult);
        if (stamp is not null)
        {
            using FileStream file = File.Open(path, FileMode.Append);
            file.Write("\n"u8);
            file.Write(stamp);
        }
    }

    /// <param name="blocking">As a plugin process runs it (<see cref="CniPluginHost.Run"/>).</param>
    /// <param name="processDeadlines">With the deadlines <see cref="CniPluginHost.Run"/> gives it, kept by a thread that
    /// waits for the outcome as Run's does; without, as a caller of InvokeAsync that gives none.</param>
    private async Task<(int Exit, JsonElement Answer)> Invoke(CompiledInIpam ipam, bool blocking, TimeSpan? timeout = null,
        bool processDeadlines = false)
    {
        var options = new CniPluginHostOptions
        {
            SameBuildDelegates = new Dictionary<string, ICniPlugin> { ["fake-ipam"] = ipam },
            BuildImage = _image,
            DelegationTimeout = timeout ?? TimeSpan.FromSeconds(20),
        };
        ProcessDeadlines? deadlines = processDeadlines ? new ProcessDeadlines() : null;
        Task<CniPluginOutcome> running = CniPluginHost.InvokeAsync(new DelegatingPlugin(), _plugins.AddEnvironment(),
            Encoding.UTF8.GetBytes(Conf), options, default, blocking, processDeadlines: deadlines).AsTask();
        if (deadlines is not null)
        {
            await Task.Factory.StartNew(() => deadlines.Wait(running), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        CniPluginOutcome o = await running;
        using JsonDocument answer = JsonDocument.Parse(o.Stdout);
        return (o.ExitCode, answer.RootElement.Clone());
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public async Task SameStamp_RunsTheCompiledInHandler_AsItsOwnProcessWouldRun(bool blocking, bool processDeadlines)
    {
        AddIpamScript(_stamp);
        var ipam = new CompiledInIpam();

        var (exit, answer) = await Invoke(ipam, blocking, processDeadlines: processDeadlines);

        Assert.Equal(0, exit);
        Assert.Equal("10.22.0.9/16", answer.GetProperty("ips")[0].GetProperty("address").GetString());
        Assert.Empty(_plugins.Order());
        Assert.Equal(Conf, ipam.SawStdin);
        Assert.Equal(nameof(CniCommand.Add), ipam.SawCommand);
        Assert.Equal(!blocking, ipam.SawProcessOutlivesRequest);
    }

    [Theory]
    [InlineData("another build")]
    [InlineData("no stamp")]
    [InlineData("host image without a stamp")]
    public async Task OtherwiseTheBinaryIsExeced(string which)
    {
        byte[] other = [.. _stamp];
        other[3] ^= 1;
        AddIpamScript(which switch { "another build" => other, "no stamp" => null, _ => _stamp });
        if (which == "host image without a stamp")
        {
            File.WriteAllBytes(_image, new byte[4096]);
        }
        var ipam = new CompiledInIpam();

        var (exit, answer) = await Invoke(ipam, blocking: true);

        Assert.Equal(0, exit);
        Assert.Equal("10.22.0.5/16", answer.GetProperty("ips")[0].GetProperty("address").GetString());
        Assert.Equal(["fake-ipam ADD"], _plugins.Order());
        Assert.Null(ipam.SawCommand);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CompiledInHandlerThatDoesNotAnswer_InAPluginProcess_TimesOutAsAnExecdOne(bool processDeadlines)
    {
        AddIpamScript(_stamp);
        using var hold = new ManualResetEventSlim();
        var ipam = new CompiledInIpam { Hold = hold };
        try
        {
            // The handler holds for 20 s: an answer sooner is the timeout's.
            var (exit, answer) = await Invoke(ipam, blocking: true, TimeSpan.FromMilliseconds(400), processDeadlines)
                .WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

            Assert.Equal(1, exit);
            Assert.Equal(5, answer.GetProperty("code").GetInt32());
            Assert.Contains("plugin 'fake-ipam' did not finish within 0.4 s", answer.GetProperty("msg").GetString(), StringComparison.Ordinal);
            Assert.Empty(_plugins.Order());
        }
        finally
        {
            hold.Set();
        }
    }
}
