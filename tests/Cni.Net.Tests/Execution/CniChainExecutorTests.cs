using System.Text;
using System.Text.Json.Nodes;
using Cni.Net.Execution;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Execution;

public sealed class CniChainExecutorTests : IDisposable
{
    private const string ResultA = """{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","mac":"0a:58:0a:00:00:02","sandbox":"/proc/self/ns/net"}],"ips":[{"interface":0,"address":"10.0.0.2/24","gateway":"10.0.0.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{"nameservers":["10.0.0.1"]}}""";
    private const string ResultB = """{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","mac":"0a:58:0a:00:00:02","sandbox":"/proc/self/ns/net"}],"ips":[{"interface":0,"address":"10.0.0.2/24","gateway":"10.0.0.1"},{"address":"fd00::2/64"}],"routes":[{"dst":"0.0.0.0/0"}]}""";

    private readonly FakePluginDirectory _plugins = new();
    private readonly string _emptyDir = Directory.CreateTempSubdirectory("cni-empty-").FullName;
    private readonly string _cacheDir = Directory.CreateTempSubdirectory("cni-cache-").FullName;

    public void Dispose()
    {
        _plugins.Dispose();
        Directory.Delete(_emptyDir, true);
        Directory.Delete(_cacheDir, true);
    }

    private CniChainExecutor Executor(TimeSpan? timeout = null)
    {
        var options = new CniExecutorOptions
        {
            CacheDirectory = _cacheDir,
            Environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["FOO"] = "bar", ["CNI_COMMAND"] = "stale" },
            PluginTimeout = timeout ?? TimeSpan.FromSeconds(30),
        };
        options.PluginDirectories.Clear();
        options.PluginDirectories.Add(_emptyDir);
        options.PluginDirectories.Add(_plugins.Path);
        return new CniChainExecutor(options);
    }

    private static NetworkConfigList Net(string json) => NetworkConfigList.Parse(Encoding.UTF8.GetBytes(json));

    private const string ThreePlugins = """
        {"cniVersion":"1.0.0","name":"net1","plugins":[
          {"type":"a","zeta":1,"ipam":{"type":"none"}},
          {"type":"b","capabilities":{"portMappings":true,"bandwidth":true,"ips":false},"alpha":[1,2]},
          {"type":"c","runtimeConfig":{"keep":"me"}}]}
        """;

    private static CniRuntimeRequest Request(string ctr = "ctr1", string? netns = "/proc/self/ns/net") => new(ctr, netns, "eth0")
    {
        Args = [new("IgnoreUnknown", "1"), new("K8S_POD_NAME", "web")],
        CapabilityArgs = JsonNode.Parse("""{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}],"bandwidth":{"ingressRate":1000},"ips":["10.0.0.9/24"],"mac":"aa:bb:cc:dd:ee:ff"}""")!.AsObject(),
    };

    private static JsonObject Stdin(FakePluginDirectory d, int call) => JsonNode.Parse(d.Stdin(call))!.AsObject();

    private static JsonNode Canonical(string result) => CniResult.Parse(Encoding.UTF8.GetBytes(result)).ToJsonNode();

    [Fact]
    public async Task AddAsync_RunsInOrder_InjectsNameVersionPrevResultAndFilteredRuntimeConfig()
    {
        _plugins.AddPrinting("a", ResultA);
        _plugins.AddPrinting("b", ResultB);
        _plugins.AddPrinting("c", ResultB);
        CniResult result = await Executor().AddAsync(Net(ThreePlugins), Request());

        Assert.Equal(["a ADD", "b ADD", "c ADD"], _plugins.Order());
        JsonObject a = Stdin(_plugins, 1), b = Stdin(_plugins, 2), c = Stdin(_plugins, 3);
        Assert.Equal(["type", "zeta", "ipam", "name", "cniVersion"], a.Select(p => p.Key));
        Assert.Equal("net1", (string?)a["name"]);
        Assert.Equal("1.0.0", (string?)a["cniVersion"]);
        Assert.Null(a["prevResult"]);
        Assert.Null(a["runtimeConfig"]);

        // libcni's InjectConf only adds keys: "capabilities" reaches the plugin too.
        Assert.Equal(["type", "capabilities", "alpha", "name", "cniVersion", "prevResult", "runtimeConfig"], b.Select(p => p.Key));
        Assert.True(JsonNode.DeepEquals(Canonical(ResultA), b["prevResult"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}],"bandwidth":{"ingressRate":1000}}"""),
            b["runtimeConfig"]), b["runtimeConfig"]!.ToJsonString());

        Assert.True(JsonNode.DeepEquals(Canonical(ResultB), c["prevResult"]));
        Assert.Equal("""{"keep":"me"}""", c["runtimeConfig"]!.ToJsonString());

        IReadOnlyDictionary<string, string> env = _plugins.Env(2);
        Assert.Equal("ADD", env["CNI_COMMAND"]);
        Assert.Equal("ctr1", env["CNI_CONTAINERID"]);
        Assert.Equal("/proc/self/ns/net", env["CNI_NETNS"]);
        Assert.Equal("eth0", env["CNI_IFNAME"]);
        Assert.Equal("IgnoreUnknown=1;K8S_POD_NAME=web", env["CNI_ARGS"]);
        Assert.Equal($"{_emptyDir}:{_plugins.Path}", env["CNI_PATH"]);
        Assert.Equal(6, env.Count);

        Assert.Equal(2, result.IPs.Count);
        CniCachedAttachment cached = Assert.Single(Executor().GetCachedAttachments());
        Assert.Equal(("net1", "ctr1", "eth0", "/proc/self/ns/net"), (cached.NetworkName, cached.ContainerId, cached.IfName, cached.NetNs));
        Assert.Equal(Encoding.UTF8.GetBytes(ThreePlugins), cached.Config.ToArray());
        Assert.True(JsonNode.DeepEquals(Canonical(ResultB), cached.ResultJson));
    }

    [Fact]
    public async Task AddAsync_BaseEnvironmentPassesThrough_StaleCniVariablesReplaced()
    {
        _plugins.Add("envp", $"env > {_plugins.RecordDir}/full.env; printf '%s' '{ResultA}'");
        await Executor().AddAsync(Net("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"envp"}]}"""), Request());
        string[] lines = File.ReadAllLines(Path.Combine(_plugins.RecordDir, "full.env"));
        Assert.Contains("FOO=bar", lines);
        Assert.Contains("CNI_COMMAND=ADD", lines);
        Assert.DoesNotContain("CNI_COMMAND=stale", lines);
    }

    [Fact]
    public async Task AddAsync_NegotiatesHighestSupportedVersion_AndConvertsPrevResult()
    {
        _plugins.AddPrinting("a", """{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.0.0.2/24"}]}""");
        _plugins.AddPrinting("b", ResultA);
        var net = Net("""{"cniVersion":"0.4.0","cniVersions":["1.0.0","9.9.9"],"name":"n","plugins":[{"type":"a"},{"type":"b"}]}""");
        CniResult r = await Executor().AddAsync(net, Request());
        Assert.Equal("1.0.0", (string?)Stdin(_plugins, 1)["cniVersion"]);
        Assert.Equal("1.0.0", (string?)Stdin(_plugins, 2)["prevResult"]!["cniVersion"]);
        Assert.Equal(CniVersion.V1_0_0, r.CniVersion);
    }

    [Fact]
    public async Task AddAsync_ResultWithoutVersion_TakesConfigVersion()
    {
        _plugins.AddPrinting("a", """{"ips":[{"address":"10.0.0.2/24"}]}""");
        CniResult r = await Executor().AddAsync(Net("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]}"""), Request());
        Assert.Equal(CniVersion.V1_0_0, r.CniVersion);
    }

    [Fact]
    public async Task AddAsync_HaltsOnFirstError_ReturnsPluginErrorAndCachesNothing()
    {
        _plugins.AddPrinting("a", ResultA);
        _plugins.Add("b", """printf '%s' '{"cniVersion":"1.0.0","code":7,"msg":"bad bridge","details":"no such thing"}'; echo 'b stderr' >&2; exit 1""");
        _plugins.AddPrinting("c", ResultB);
        var ex = await Assert.ThrowsAsync<CniException>(async () => await Executor().AddAsync(Net(ThreePlugins), Request()));
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, ex.Code);
        Assert.Equal("plugin b failed (ADD): bad bridge", ex.Message);
        Assert.Equal("no such thing", ex.Details);
        Assert.Equal(["a ADD", "b ADD"], _plugins.Order());
        Assert.Empty(Executor().GetCachedAttachments());
    }

    [Fact]
    public async Task AddAsync_GoPluginError999WithoutVersion_KeepsCodeAndAttachesStderr()
    {
        _plugins.Add("a", """printf '%s' '{"code":999,"msg":"failed to set bridge addr"}'; echo 'detail on stderr' >&2; exit 1""");
        var ex = await Assert.ThrowsAsync<CniException>(async () =>
            await Executor().AddAsync(Net("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]}"""), Request()));
        Assert.Equal((CniErrorCode)999, ex.Code);
        Assert.Equal("detail on stderr", ex.Details);
    }

    [Theory]
    [InlineData("printf 'not json'", CniErrorCode.DecodingFailure, "printed an invalid result")]
    [InlineData("printf ''", CniErrorCode.DecodingFailure, "printed no result")]
    [InlineData("printf '[1,2]'", CniErrorCode.DecodingFailure, "expected a JSON object")]
    [InlineData("printf '{\"ips\":[]} trailing'", CniErrorCode.DecodingFailure, "unexpected data after the JSON object")]
    [InlineData("printf '{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"nope\"}]}'", CniErrorCode.DecodingFailure, "printed an invalid result")]
    [InlineData("printf 'garbage'; exit 2", CniErrorCode.IOFailure, "failed (exit code 2) without printing an error object")]
    [InlineData("exit 1", CniErrorCode.IOFailure, "failed (exit code 1) without printing an error object")]
    [InlineData("kill -9 $$", CniErrorCode.IOFailure, "failed (killed by signal 9)")]
    public async Task AddAsync_BadOutput_ReportsCodeAndStderr(string body, CniErrorCode code, string message)
    {
        _plugins.Add("a", "echo 'the stderr' >&2; " + body);
        var ex = await Assert.ThrowsAsync<CniException>(async () =>
            await Executor().AddAsync(Net("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]}"""), Request()));
        Assert.Equal(code, ex.Code);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.Contains("the stderr", ex.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddAsync_FailureWithoutErrorObject_MessageQuotesStderr_AsLibcni()
    {
        _plugins.Add("a", "echo 'cannot open \"x\"' >&2; echo 'second line' >&2; exit 1");
        var ex = await Assert.ThrowsAsync<CniException>(async () =>
            await Executor().AddAsync(Net("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]}"""), Request()));
        Assert.Equal("plugin a failed (ADD): plugin 'a' failed (exit code 1) without printing an error object: \"cannot open \\\"x\\\"\\nsecond line\"", ex.Message);
    }

    [Fact]
    public async Task AddAsync_CurrentActivity_PropagatedAsW3CTraceEnvironment_ReplacingInherited()
    {
        _plugins.Add("envp", $"env > {_plugins.RecordDir}/full.env; printf '%s' '{ResultA}'");
        var options = new CniExecutorOptions
        {
            CacheDirectory = _cacheDir,
            Environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["TRACEPARENT"] = "00-stale-stale-00", ["BAGGAGE"] = "old=1" },
        };
        options.PluginDirectories.Clear();
        options.PluginDirectories.Add(_plugins.Path);
        var executor = new CniChainExecutor(options);
        NetworkConfigList net = Net("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"envp"}]}""");

        using (var activity = new System.Diagnostics.Activity("cni-add"))
        {
            activity.SetIdFormat(System.Diagnostics.ActivityIdFormat.W3C);
            activity.TraceStateString = "vendor=abc";
            activity.AddBaggage("pod", "web 1");
            activity.Start();
            await executor.AddAsync(net, Request());
            string[] lines = File.ReadAllLines(Path.Combine(_plugins.RecordDir, "full.env"));
            Assert.Contains("TRACEPARENT=" + activity.Id, lines);
            Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", activity.Id);
            Assert.Contains("TRACESTATE=vendor=abc", lines);
            Assert.Contains("BAGGAGE=pod=web%201", lines);
            Assert.DoesNotContain("TRACEPARENT=00-stale-stale-00", lines);
            Assert.DoesNotContain("BAGGAGE=old=1", lines);
        }

        // Without a current activity, nothing is injected and the inherited variables pass through untouched.
        Assert.Null(System.Diagnostics.Activity.Current);
        await executor.DelAsync(net, Request());
        string[] after = File.ReadAllLines(Path.Combine(_plugins.RecordDir, "full.env"));
        Assert.Contains("TRACEPARENT=00-stale-stale-00", after);
        Assert.DoesNotContain(after, l => l.StartsWith("TRACESTATE=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddAsync_Hang_TimesOutWithTimeoutInner()
    {
        _plugins.Add("a", "sleep 60");
        var ex = await Assert.ThrowsAsync<CniException>(async () =>
            await Executor(TimeSpan.FromMilliseconds(500)).AddAsync(Net("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]}"""), Request()));
        Assert.Equal(CniErrorCode.IOFailure, ex.Code);
        Assert.IsType<TimeoutException>(ex.InnerException!.InnerException);
    }

    [Fact]
    public async Task AddAsync_PluginNotFound_NamesEveryDirectory()
    {
        var ex = await Assert.ThrowsAsync<CniException>(async () =>
            await Executor().AddAsync(Net("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"missing"}]}"""), Request()));
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, ex.Code);
        Assert.Contains(_emptyDir, ex.Message, StringComparison.Ordinal);
        Assert.Contains(_plugins.Path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddAsync_FirstDirectoryWins()
    {
        _plugins.AddPrinting("a", ResultA);
        File.WriteAllText(Path.Combine(_emptyDir, "a"), $"#!/bin/sh\nprintf '%s' '{ResultB}'\n");
        File.SetUnixFileMode(Path.Combine(_emptyDir, "a"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        CniResult r = await Executor().AddAsync(Net("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]}"""), Request());
        Assert.Equal(2, r.IPs.Count);
        Assert.Empty(_plugins.Order());
    }

    [Theory]
    [InlineData("bad/ctr", "eth0", "/x", "CNI_CONTAINERID")]
    [InlineData("ctr", "eth0/1", "/x", "CNI_IFNAME")]
    [InlineData("ctr", "0123456789abcdef", "/x", "CNI_IFNAME")]
    [InlineData("ctr", "eth0", "", "CNI_NETNS")]
    public async Task AddAsync_InvalidRequest_Code4NamingTheVariable(string ctr, string ifName, string netns, string variable)
    {
        _plugins.AddPrinting("a", ResultA);
        var ex = await Assert.ThrowsAsync<CniException>(async () =>
            await Executor().AddAsync(Net("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]}"""), new CniRuntimeRequest(ctr, netns, ifName)));
        Assert.Equal(CniErrorCode.InvalidEnvironmentVariables, ex.Code);
        Assert.StartsWith(variable, ex.Message, StringComparison.Ordinal);
        Assert.Empty(_plugins.Order());
    }

    [Fact]
    public async Task DelAsync_ReverseOrder_WithCachedResultAndCachedCapabilityArgs_ThenRemovesCache()
    {
        _plugins.AddPrinting("a", ResultA);
        _plugins.AddPrinting("b", ResultB);
        _plugins.AddPrinting("c", ResultB);
        CniChainExecutor x = Executor();
        NetworkConfigList net = Net(ThreePlugins);
        await x.AddAsync(net, Request());
        await x.DelAsync(net, new CniRuntimeRequest("ctr1", "", "eth0"));

        Assert.Equal(["a ADD", "b ADD", "c ADD", "c DEL", "b DEL", "a DEL"], _plugins.Order());
        for (int call = 4; call <= 6; call++)
        {
            Assert.True(JsonNode.DeepEquals(Canonical(ResultB), Stdin(_plugins, call)["prevResult"]));
            Assert.Equal("DEL", _plugins.Env(call)["CNI_COMMAND"]);
            Assert.Equal("", _plugins.Env(call)["CNI_NETNS"]);
            Assert.Equal("IgnoreUnknown=1;K8S_POD_NAME=web", _plugins.Env(call)["CNI_ARGS"]);
        }
        // b declared portMappings: DEL got them from the cache although the caller passed none.
        Assert.Equal(8080, (int)Stdin(_plugins, 5)["runtimeConfig"]!["portMappings"]![0]!["hostPort"]!);
        Assert.Empty(x.GetCachedAttachments());
    }

    [Fact]
    public async Task DelAsync_WithoutCacheOrNetns_RunsWithoutPrevResult_AndRepeats()
    {
        _plugins.AddPrinting("a", "");
        CniChainExecutor x = Executor();
        NetworkConfigList net = Net("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]}""");
        await x.DelAsync(net, new CniRuntimeRequest("ctr1", null, "eth0"));
        await x.DelAsync(net, new CniRuntimeRequest("ctr1", null, "eth0"));
        Assert.Equal(["a DEL", "a DEL"], _plugins.Order());
        Assert.Null(Stdin(_plugins, 1)["prevResult"]);
    }

    [Fact]
    public async Task DelAsync_CorruptCacheFile_IsIgnoredAndRemoved()
    {
        _plugins.AddPrinting("a", "");
        Directory.CreateDirectory(Path.Combine(_cacheDir, "results"));
        string file = Path.Combine(_cacheDir, "results", "n-ctr1-eth0");
        File.WriteAllText(file, "{\"kind\":\"cniCacheV1\",");
        await Executor().DelAsync(Net("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]}"""), new CniRuntimeRequest("ctr1", null));
        Assert.Null(Stdin(_plugins, 1)["prevResult"]);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task DelAsync_PluginFails_KeepsCacheForRetry()
    {
        _plugins.AddPrinting("a", ResultA);
        CniChainExecutor x = Executor();
        NetworkConfigList net = Net("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]}""");
        await x.AddAsync(net, Request());
        _plugins.AddPrinting("a", """{"code":11,"msg":"busy"}""", exitCode: 1);
        var ex = await Assert.ThrowsAsync<CniException>(async () => await x.DelAsync(net, Request()));
        Assert.Equal(CniErrorCode.TryAgainLater, ex.Code);
        Assert.Single(x.GetCachedAttachments());
    }

    [Fact]
    public async Task DelAsync_Version031_SendsNoPrevResult()
    {
        _plugins.AddPrinting("a", """{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.0.0.2/24"}]}""");
        CniChainExecutor x = Executor();
        NetworkConfigList net = Net("""{"cniVersion":"0.3.1","name":"n","plugins":[{"type":"a"}]}""");
        await x.AddAsync(net, Request());
        await x.DelAsync(net, Request());
        Assert.Null(Stdin(_plugins, 2)["prevResult"]);
    }

    [Fact]
    public async Task CheckAsync_InOrderWithCachedResult()
    {
        _plugins.AddPrinting("a", ResultA);
        _plugins.AddPrinting("b", ResultB);
        _plugins.AddPrinting("c", ResultB);
        CniChainExecutor x = Executor();
        NetworkConfigList net = Net(ThreePlugins);
        await x.AddAsync(net, Request());
        await x.CheckAsync(net, Request());
        Assert.Equal(["a CHECK", "b CHECK", "c CHECK"], _plugins.Order().Skip(3));
        Assert.True(JsonNode.DeepEquals(Canonical(ResultB), Stdin(_plugins, 4)["prevResult"]));
        Assert.Equal("CHECK", _plugins.Env(4)["CNI_COMMAND"]);
    }

    [Fact]
    public async Task CheckAsync_OldVersion_Code1WithoutCallingPlugins()
    {
        _plugins.AddPrinting("a", "");
        var ex = await Assert.ThrowsAsync<CniException>(async () =>
            await Executor().CheckAsync(Net("""{"cniVersion":"0.3.1","name":"n","plugins":[{"type":"a"}]}"""), Request()));
        Assert.Equal(CniErrorCode.IncompatibleVersion, ex.Code);
        Assert.Empty(_plugins.Order());
    }

    [Fact]
    public async Task CheckAsync_DisableCheck_DoesNothing()
    {
        _plugins.AddPrinting("a", "", exitCode: 1);
        await Executor().CheckAsync(Net("""{"cniVersion":"1.0.0","name":"n","disableCheck":true,"plugins":[{"type":"a"}]}"""), Request());
        Assert.Empty(_plugins.Order());
    }

    [Fact]
    public async Task CheckAsync_PluginReportsMismatch_Throws()
    {
        _plugins.AddPrinting("a", """{"cniVersion":"1.0.0","code":100,"msg":"eth0 has the wrong address"}""", exitCode: 1);
        var ex = await Assert.ThrowsAsync<CniException>(async () =>
            await Executor().CheckAsync(Net("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]}"""), Request()));
        Assert.Equal((CniErrorCode)100, ex.Code);
    }

    [Fact]
    public async Task GCAsync_DeletesStaleCachedAttachments_ThenGCsEveryPluginContinuingPastErrors()
    {
        _plugins.AddPrinting("a", ResultA);
        _plugins.AddPrinting("b", ResultB);
        CniChainExecutor x = Executor();
        NetworkConfigList net = Net("""{"cniVersion":"1.1.0","name":"n","plugins":[{"type":"a"},{"type":"b","capabilities":{"portMappings":true}}]}""");
        NetworkConfigList other = Net("""{"cniVersion":"1.1.0","name":"other","plugins":[{"type":"a"}]}""");
        await x.AddAsync(net, Request("keep"));
        await x.AddAsync(net, Request("stale"));
        await x.AddAsync(other, Request("stale"));
        int before = _plugins.Order().Count;
        _plugins.Add("a", """
            if [ "$CNI_COMMAND" = GC ]; then printf '%s' '{"cniVersion":"1.1.0","code":5,"msg":"gc broke"}'; exit 1; fi
            """);

        IReadOnlyList<CniException> errors = await x.GCAsync(net, [new CniAttachmentId("keep", "eth0")]);

        Assert.Equal(["b DEL", "a DEL", "a GC", "b GC"], _plugins.Order().Skip(before));
        Assert.Equal("stale", _plugins.Env(before + 1)["CNI_CONTAINERID"]);
        Assert.Equal("/proc/self/ns/net", _plugins.Env(before + 1)["CNI_NETNS"]);
        Assert.Equal(8080, (int)Stdin(_plugins, before + 1)["runtimeConfig"]!["portMappings"]![0]!["hostPort"]!);
        JsonObject gc = Stdin(_plugins, before + 4);
        Assert.Equal("""[{"containerID":"keep","ifname":"eth0"}]""", gc["cni.dev/valid-attachments"]!.ToJsonString());
        Assert.Equal("""[{"containerID":"keep","ifname":"eth0"}]""", gc["cni.dev/attachments"]!.ToJsonString());
        Assert.Null(gc["prevResult"]);
        Assert.Null(gc["runtimeConfig"]);
        Assert.Equal("GC", _plugins.Env(before + 4)["CNI_COMMAND"]);
        Assert.Equal("", _plugins.Env(before + 4)["CNI_CONTAINERID"]);
        CniException error = Assert.Single(errors);
        Assert.Equal(CniErrorCode.IOFailure, error.Code);
        Assert.Contains("gc broke", error.Message, StringComparison.Ordinal);
        Assert.Equal(["n/keep", "other/stale"], x.GetCachedAttachments().Select(e => $"{e.NetworkName}/{e.ContainerId}"));
    }

    [Fact]
    public async Task GCAsync_Version100_OnlyDeletesStale_NoGCVerb()
    {
        _plugins.AddPrinting("a", ResultA);
        CniChainExecutor x = Executor();
        NetworkConfigList net = Net("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]}""");
        await x.AddAsync(net, Request("stale"));
        Assert.Empty(await x.GCAsync(net, null));
        Assert.Equal(["a ADD", "a DEL"], _plugins.Order());
    }

    [Fact]
    public async Task GCAsync_DisableGC_DoesNothing()
    {
        _plugins.AddPrinting("a", ResultA);
        CniChainExecutor x = Executor();
        NetworkConfigList net = Net("""{"cniVersion":"1.1.0","name":"n","disableGC":true,"plugins":[{"type":"a"}]}""");
        await x.AddAsync(net, Request("stale"));
        Assert.Empty(await x.GCAsync(net, null));
        Assert.Equal(["a ADD"], _plugins.Order());
    }

    [Theory]
    [InlineData(50, CniReadiness.NotAvailable)]
    [InlineData(51, CniReadiness.LimitedConnectivity)]
    [InlineData(5, CniReadiness.Failed)]
    public async Task StatusAsync_MapsCodes(int code, CniReadiness readiness)
    {
        _plugins.AddPrinting("a", "");
        _plugins.AddPrinting("b", $$"""{"cniVersion":"1.1.0","code":{{code}},"msg":"not yet"}""", exitCode: 1);
        _plugins.AddPrinting("c", "");
        CniNetworkStatus s = await Executor().StatusAsync(Net("""{"cniVersion":"1.1.0","name":"n","plugins":[{"type":"a"},{"type":"b"},{"type":"c"}]}"""));
        Assert.Equal(readiness, s.Readiness);
        Assert.Equal("b", s.PluginType);
        Assert.Equal((CniErrorCode)code, s.Error!.Code);
        Assert.Equal(["a STATUS", "b STATUS"], _plugins.Order());
        Assert.Equal("STATUS", _plugins.Env(1)["CNI_COMMAND"]);
        Assert.Equal("1.1.0", (string?)Stdin(_plugins, 1)["cniVersion"]);
    }

    [Fact]
    public async Task StatusAsync_AllReady_OrOldVersion_IsReady()
    {
        _plugins.AddPrinting("a", "");
        Assert.Equal(CniReadiness.Ready, (await Executor().StatusAsync(Net("""{"cniVersion":"1.1.0","name":"n","plugins":[{"type":"a"}]}"""))).Readiness);
        Assert.Equal(CniReadiness.Ready, (await Executor().StatusAsync(Net("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"}]}"""))).Readiness);
        Assert.Equal(["a STATUS"], _plugins.Order());
    }

    [Fact]
    public async Task GetVersionInfoAsync_ParsesAnswer_AndSendsLatestVersion()
    {
        _plugins.AddPrinting("a", """{"cniVersion":"1.0.0","supportedVersions":["0.3.1","0.4.0","1.0.0"]}""");
        CniPluginVersionInfo info = await Executor().GetVersionInfoAsync("a");
        Assert.Equal([CniVersion.V0_3_1, CniVersion.V0_4_0, CniVersion.V1_0_0], info.SupportedVersions);
        Assert.Equal("""{"cniVersion":"1.1.0"}""", _plugins.Stdin(1));
        Assert.Equal("VERSION", _plugins.Env(1)["CNI_COMMAND"]);
    }

    [Fact]
    public async Task GetVersionInfoAsync_PreVersionPlugin_Is010()
    {
        _plugins.AddPrinting("a", """{"code":4,"msg":"unknown CNI_COMMAND: VERSION"}""", exitCode: 1);
        CniPluginVersionInfo info = await Executor().GetVersionInfoAsync("a");
        Assert.Equal([CniVersion.V0_1_0], info.SupportedVersions);
    }

    [Fact]
    public async Task ValidateAsync_ReportsEveryPluginThatCannotRunTheListVersion()
    {
        _plugins.AddPrinting("a", """{"cniVersion":"1.0.0","supportedVersions":["0.3.1","0.4.0","1.0.0"]}""");
        _plugins.AddPrinting("b", """{"cniVersion":"0.4.0","supportedVersions":["0.3.1","0.4.0"]}""");
        _plugins.AddPrinting("c", """{"cniVersion":"0.4.0","supportedVersions":["0.4.0"]}""");
        IReadOnlyList<CniException> errors = await Executor().ValidateAsync(
            Net("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"},{"type":"b"},{"type":"missing"},{"type":"c"}]}"""));
        Assert.Equal(3, errors.Count);
        Assert.Equal("plugin b does not support config version \"1.0.0\"", errors[0].Message);
        Assert.Equal(CniErrorCode.IncompatibleVersion, errors[0].Code);
        Assert.Contains("failed to find plugin \"missing\"", errors[1].Message, StringComparison.Ordinal);
        Assert.Equal("plugin c does not support config version \"1.0.0\"", errors[2].Message);
    }

    [Fact]
    public async Task Operations_OnOneAttachment_AreSerialized_OthersInParallel()
    {
        string marker = Path.Combine(_plugins.RecordDir, "inside");
        _plugins.Add("slow", $$"""
            if [ -e {{marker}}.$CNI_CONTAINERID ]; then echo overlap > {{marker}}.bad; fi
            touch {{marker}}.$CNI_CONTAINERID; sleep 0.3; rm {{marker}}.$CNI_CONTAINERID
            printf '%s' '{{ResultA}}'
            """);
        CniChainExecutor x = Executor();
        NetworkConfigList net = Net("""{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"slow"}]}""");
        var started = DateTime.UtcNow;
        await Task.WhenAll(
            x.AddAsync(net, Request("one")).AsTask(), x.AddAsync(net, Request("one")).AsTask(),
            x.AddAsync(net, Request("two")).AsTask(), x.AddAsync(net, Request("three")).AsTask());
        Assert.False(File.Exists(marker + ".bad"));
    }
}
