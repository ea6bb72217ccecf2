using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.Execution;
using Cni.Net.Plugins;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Plugins;

public class CniPluginHostTests
{
    private const string Result11 = """{"cniVersion":"1.1.0","interfaces":[{"name":"eth0","mac":"0a:58:0a:00:00:02","mtu":1400,"sandbox":"/run/netns/x"}],"ips":[{"interface":0,"address":"10.0.0.2/24","gateway":"10.0.0.1"},{"address":"fd00::2/64"}]}""";

    /// <summary>Records which handler ran with what; can be told to throw.</summary>
    internal sealed class RecordingPlugin : ICniPlugin
    {
        public List<CniPluginRequest> Calls { get; } = [];

        public Exception? Throw { get; set; }

        public IReadOnlyList<CniVersion>? Versions { get; set; }

        public IReadOnlyList<CniVersion> SupportedVersions => Versions ?? CniVersion.Supported;

        private ValueTask Record(CniPluginRequest r)
        {
            Calls.Add(r);
            return Throw is null ? ValueTask.CompletedTask : ValueTask.FromException(Throw);
        }

        public async ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken)
        {
            await Record(request);
            return CniResult.Parse(Encoding.UTF8.GetBytes(Result11));
        }

        public ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken) => Record(request);

        public ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken) => Record(request);

        public ValueTask StatusAsync(CniPluginRequest request, CancellationToken cancellationToken) => Record(request);

        public ValueTask GCAsync(CniPluginRequest request, CancellationToken cancellationToken) => Record(request);
    }

    private static Dictionary<string, string> Env(string command, params (string Key, string? Value)[] overrides)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["CNI_COMMAND"] = command,
            ["CNI_CONTAINERID"] = "ctr1",
            ["CNI_NETNS"] = "/run/netns/x",
            ["CNI_IFNAME"] = "eth0",
            ["CNI_ARGS"] = "IgnoreUnknown=1;K8S_POD_NAME=web",
            ["CNI_PATH"] = "/opt/cni/bin:/usr/lib/cni",
        };
        foreach (var (k, v) in overrides)
        {
            if (v is null)
            {
                env.Remove(k);
            }
            else
            {
                env[k] = v;
            }
        }
        return env;
    }

    private static string Conf(string version = "1.1.0", string extra = "") =>
        $$"""{"cniVersion":"{{version}}","name":"net1","type":"mine"{{extra}}}""";

    private static async Task<(int Exit, string Stdout)> Invoke(ICniPlugin plugin, Dictionary<string, string> env, string stdin)
    {
        CniPluginOutcome o = await CniPluginHost.InvokeAsync(plugin, env, Encoding.UTF8.GetBytes(stdin), new CniPluginHostOptions(), default);
        return (o.ExitCode, Encoding.UTF8.GetString(o.Stdout));
    }

    private static JsonElement Error(string stdout, uint code, string? version)
    {
        using JsonDocument doc = JsonDocument.Parse(stdout);
        JsonElement e = doc.RootElement.Clone();
        Assert.Equal(code, e.GetProperty("code").GetUInt32());
        if (version is null)
        {
            Assert.False(e.TryGetProperty("cniVersion", out _));
        }
        else
        {
            Assert.Equal(version, e.GetProperty("cniVersion").GetString());
        }
        Assert.DoesNotContain("   at ", stdout, StringComparison.Ordinal);
        return e;
    }

    [Theory]
    [InlineData("ADD", null, 8)]
    [InlineData("DEL", null, 8)]
    [InlineData("ADD", "1", 0)]
    [InlineData("DEL", "TRUE", 0)]
    [InlineData("ADD", "true", 0)]
    [InlineData("ADD", "yes", 8)]
    [InlineData("CHECK", null, 0)]
    public async Task NetnsOfThePluginItself_RefusedOnAddAndDel_UnlessOverridden(string command, string? overrideValue, int code)
    {
        // skel (libcni v1.3.0 pkg/skel) refuses CNI_NETNS == the plugin's own netns for ADD and DEL, unless
        // CNI_NETNS_OVERRIDE is "1" or "true" in any case.
        var plugin = new RecordingPlugin();
        var (exit, stdout) = await Invoke(plugin,
            Env(command, ("CNI_NETNS", "/proc/thread-self/ns/net"), ("CNI_NETNS_OVERRIDE", overrideValue)),
            Conf(extra: ""","prevResult":{"cniVersion":"1.1.0","ips":[{"address":"10.9.9.9/8"}]}"""));
        if (code == 0)
        {
            Assert.Equal(0, exit);
            Assert.Single(plugin.Calls);
        }
        else
        {
            Assert.Equal(1, exit);
            Assert.Equal("plugin's netns and netns from CNI_NETNS should not be the same", Error(stdout, (uint)code, "1.1.0").GetProperty("msg").GetString());
            Assert.Empty(plugin.Calls);
        }
    }

    [Fact]
    public async Task NetnsPathThatIsNoNamespace_IsThePluginsBusiness()
    {
        var plugin = new RecordingPlugin();
        var (exit, _) = await Invoke(plugin, Env("DEL", ("CNI_NETNS", "/proc/self/status")), Conf());
        Assert.Equal(0, exit);
        (exit, _) = await Invoke(plugin, Env("DEL", ("CNI_NETNS", "/run/netns/gone-" + Guid.NewGuid().ToString("N"))), Conf());
        Assert.Equal(0, exit);
        Assert.Equal(2, plugin.Calls.Count);
    }

    [Theory]
    [InlineData("ADD", "mine")]
    [InlineData("DEL", "mine")]
    [InlineData("CHECK", "mine")]
    [InlineData("STATUS", "mine")]
    [InlineData("GC", "mine")]
    public async Task EveryVerb_DispatchesToItsHandler_WithTheRequest(string command, string _)
    {
        var plugin = new RecordingPlugin();
        var (exit, stdout) = await Invoke(plugin, Env(command), Conf(extra: ""","prevResult":{"cniVersion":"1.1.0","ips":[{"address":"10.9.9.9/8"}]}"""));
        Assert.Equal(0, exit);
        CniPluginRequest r = Assert.Single(plugin.Calls);
        Assert.Equal(command, r.Command.ToString().ToUpperInvariant());
        Assert.Equal("ctr1", r.ContainerId);
        Assert.Equal("/run/netns/x", r.NetNs);
        Assert.Equal("eth0", r.IfName);
        Assert.Equal("web", r.Args["K8S_POD_NAME"]);
        Assert.Equal(["/opt/cni/bin", "/usr/lib/cni"], r.Path);
        Assert.Equal(CniVersion.V1_1_0, r.CniVersion);
        Assert.Equal("net1", r.Config.Name);
        Assert.Equal("10.9.9.9/8", r.PrevResult!.IPs[0].Address.ToString());
        Assert.Equal(Encoding.UTF8.GetBytes(Conf(extra: ""","prevResult":{"cniVersion":"1.1.0","ips":[{"address":"10.9.9.9/8"}]}""")), r.StdinData.ToArray());
        if (command == "ADD")
        {
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Result11), JsonNode.Parse(stdout)), stdout);
        }
        else
        {
            Assert.Equal("", stdout);
        }
    }

    [Theory]
    [InlineData("1.1.0", null)]
    [InlineData("1.0.0", null)]
    [InlineData("0.3.1", null)]
    [InlineData(null, "1.1.0")]
    public async Task Version_AnswersItselfWithSupportedVersions(string? asked, string? expectedOverride)
    {
        var plugin = new RecordingPlugin();
        string stdin = asked is null ? "" : $$"""{"cniVersion":"{{asked}}"}""";
        var (exit, stdout) = await Invoke(plugin, new Dictionary<string, string> { ["CNI_COMMAND"] = "VERSION" }, stdin);
        Assert.Equal(0, exit);
        Assert.Equal($$"""{"cniVersion":"{{expectedOverride ?? asked}}","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}""", stdout);
        Assert.Empty(plugin.Calls);
    }

    [Fact]
    public async Task Version_ListsOnlyThePluginsVersions()
    {
        var plugin = new RecordingPlugin { Versions = [CniVersion.V0_4_0, CniVersion.V1_0_0] };
        var (_, stdout) = await Invoke(plugin, new Dictionary<string, string> { ["CNI_COMMAND"] = "VERSION" }, """{"cniVersion":"1.0.0"}""");
        Assert.Equal("""{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}""", stdout);
    }

    [Theory]
    [InlineData("ADD", "CNI_COMMAND", null, "CNI_COMMAND is missing")]
    [InlineData("FROB", "CNI_COMMAND", "FROB", "CNI_COMMAND 'FROB' is not a CNI command")]
    [InlineData("ADD", "CNI_CONTAINERID", null, "CNI_CONTAINERID is missing")]
    [InlineData("ADD", "CNI_CONTAINERID", "-bad", "CNI_CONTAINERID '-bad'")]
    [InlineData("ADD", "CNI_NETNS", null, "CNI_NETNS is missing")]
    [InlineData("CHECK", "CNI_NETNS", "", "CNI_NETNS is missing")]
    [InlineData("ADD", "CNI_IFNAME", null, "CNI_IFNAME is missing")]
    [InlineData("ADD", "CNI_IFNAME", "a/b", "CNI_IFNAME")]
    [InlineData("ADD", "CNI_IFNAME", "sixteen-chars-xx", "CNI_IFNAME")]
    [InlineData("DEL", "CNI_IFNAME", null, "CNI_IFNAME is missing")]
    [InlineData("ADD", "CNI_PATH", null, "CNI_PATH is missing")]
    [InlineData("GC", "CNI_PATH", null, "CNI_PATH is missing")]
    [InlineData("STATUS", "CNI_PATH", null, "CNI_PATH is missing")]
    [InlineData("ADD", "CNI_ARGS", "novalue", "CNI_ARGS")]
    public async Task InvalidEnvironment_Code4NamingTheVariable_WithStdinVersion(string command, string variable, string? value, string message)
    {
        var plugin = new RecordingPlugin();
        var (exit, stdout) = await Invoke(plugin, Env(command, (variable, value)), Conf("1.0.0"));
        Assert.Equal(1, exit);
        JsonElement e = Error(stdout, 4, "1.0.0");
        Assert.StartsWith(message, e.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.Empty(plugin.Calls);
    }

    [Fact]
    public async Task Del_WithoutNetns_IsAccepted()
    {
        var plugin = new RecordingPlugin();
        var (exit, _) = await Invoke(plugin, Env("DEL", ("CNI_NETNS", null)), Conf());
        Assert.Equal(0, exit);
        Assert.Null(Assert.Single(plugin.Calls).NetNs);
    }

    [Theory]
    [InlineData("", 6u, "stdin is empty")]
    [InlineData("{not json", 6u, null)]
    [InlineData("[1]", 6u, "expected a JSON object")]
    [InlineData("""{"cniVersion":"1.0.0","type":"mine"}""", 7u, "missing network name")]
    [InlineData("""{"cniVersion":"1.0.0","name":"bad name","type":"mine"}""", 7u, "invalid network name")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n"}""", 7u, "type")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","type":"../x"}""", 7u, "type")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","type":"mine","capabilities":[]}""", 7u, "capabilities")]
    public async Task InvalidConfig_ReportsDecodeOrConfigCode(string stdin, uint code, string? message)
    {
        var plugin = new RecordingPlugin();
        var (exit, stdout) = await Invoke(plugin, Env("ADD"), stdin);
        Assert.Equal(1, exit);
        JsonElement e = Error(stdout, code, stdin.Contains("1.0.0", StringComparison.Ordinal) ? "1.0.0" : "1.1.0");
        if (message is not null)
        {
            Assert.Contains(message, e.GetProperty("msg").GetString(), StringComparison.Ordinal);
        }
        Assert.Empty(plugin.Calls);
    }

    [Theory]
    [InlineData("2.0.0")]
    [InlineData("0.9.0")]
    public async Task UnknownVersion_Code1WithSupportedListInDetails(string version)
    {
        var plugin = new RecordingPlugin();
        var (exit, stdout) = await Invoke(plugin, Env("ADD"), Conf(version));
        Assert.Equal(1, exit);
        JsonElement e = Error(stdout, 1, "1.1.0");
        Assert.Equal("incompatible CNI versions", e.GetProperty("msg").GetString());
        Assert.Equal($"config is \"{version}\", plugin supports [\"0.1.0\", \"0.2.0\", \"0.3.0\", \"0.3.1\", \"0.4.0\", \"1.0.0\", \"1.1.0\"]",
            e.GetProperty("details").GetString());
        Assert.Empty(plugin.Calls);
    }

    [Fact]
    public async Task VersionThePluginDoesNotSupport_Code1()
    {
        var plugin = new RecordingPlugin { Versions = [CniVersion.V0_4_0, CniVersion.V1_0_0] };
        var (exit, stdout) = await Invoke(plugin, Env("ADD"), Conf("1.1.0"));
        Assert.Equal(1, exit);
        JsonElement e = Error(stdout, 1, "1.1.0");
        Assert.Equal("config is \"1.1.0\", plugin supports [\"0.4.0\", \"1.0.0\"]", e.GetProperty("details").GetString());
    }

    [Theory]
    [InlineData("CHECK", "0.3.1", false)]
    [InlineData("CHECK", "0.4.0", true)]
    [InlineData("GC", "1.0.0", false)]
    [InlineData("GC", "1.1.0", true)]
    [InlineData("STATUS", "1.0.0", false)]
    [InlineData("STATUS", "1.1.0", true)]
    [InlineData("ADD", "0.1.0", true)]
    [InlineData("DEL", "0.2.0", true)]
    public async Task VerbsAreGatedByConfigVersion(string command, string version, bool allowed)
    {
        var plugin = new RecordingPlugin();
        var (exit, stdout) = await Invoke(plugin, Env(command), Conf(version));
        if (allowed)
        {
            Assert.Equal(0, exit);
            Assert.Single(plugin.Calls);
        }
        else
        {
            Assert.Equal(1, exit);
            JsonElement e = Error(stdout, 1, version);
            Assert.StartsWith($"config version {version} does not allow {command}", e.GetProperty("msg").GetString(), StringComparison.Ordinal);
            Assert.Empty(plugin.Calls);
        }
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("0.4.0")]
    [InlineData("0.3.1")]
    [InlineData("0.2.0")]
    [InlineData("0.1.0")]
    public async Task Add_ResultIsConvertedToTheConfigVersion(string version)
    {
        var (exit, stdout) = await Invoke(new RecordingPlugin(), Env("ADD"), Conf(version));
        Assert.Equal(0, exit);
        CniResult expected = CniResult.Parse(Encoding.UTF8.GetBytes(Result11)).ConvertTo(CniVersion.Parse(version));
        Assert.Equal(Encoding.UTF8.GetString(expected.ToUtf8Bytes()), stdout);
        Assert.Equal(version, JsonNode.Parse(stdout)!["cniVersion"]!.GetValue<string>());
        Assert.DoesNotContain("\"mtu\"", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_ConfigWithoutVersion_Means010()
    {
        var (exit, stdout) = await Invoke(new RecordingPlugin(), Env("ADD"), """{"name":"n","type":"mine"}""");
        Assert.Equal(0, exit);
        Assert.Equal("0.1.0", JsonNode.Parse(stdout)!["cniVersion"]!.GetValue<string>());
        Assert.NotNull(JsonNode.Parse(stdout)!["ip4"]);
    }

    [Theory]
    [InlineData(typeof(CniException), 50u)]
    [InlineData(typeof(InvalidOperationException), 5u)]
    [InlineData(typeof(IOException), 5u)]
    [InlineData(typeof(OperationCanceledException), 11u)]
    [InlineData(typeof(TimeoutException), 11u)]
    [InlineData(typeof(ArgumentException), 7u)]
    [InlineData(typeof(JsonException), 6u)]
    public async Task HandlerExceptions_BecomeErrorJsonWithSpecCodes_NeverAStackTrace(Type type, uint code)
    {
        Exception ex = type == typeof(CniException)
            ? new CniException(CniErrorCode.PluginNotAvailable, "not ready yet", "waiting for the CNI daemon")
            : (Exception)Activator.CreateInstance(type, "boom")!;
        var plugin = new RecordingPlugin { Throw = ex };
        var (exit, stdout) = await Invoke(plugin, Env("STATUS"), Conf("1.1.0"));
        Assert.Equal(1, exit);
        JsonElement e = Error(stdout, code, "1.1.0");
        if (type == typeof(CniException))
        {
            Assert.True(JsonNode.DeepEquals(
                JsonNode.Parse("""{"cniVersion":"1.1.0","code":50,"msg":"not ready yet","details":"waiting for the CNI daemon"}"""),
                JsonNode.Parse(stdout)), stdout);
        }
        else
        {
            Assert.Contains("boom", e.GetProperty("msg").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Gc_ParsesValidAttachments_BothKeyNames()
    {
        var plugin = new RecordingPlugin();
        await Invoke(plugin, Env("GC"), Conf(extra: ""","cni.dev/valid-attachments":[{"containerID":"a","ifname":"eth0"},{"containerID":"b","ifname":"net1"}]"""));
        await Invoke(plugin, Env("GC"), Conf(extra: ""","cni.dev/attachments":[{"containerID":"c","ifname":"eth0"}]"""));
        Assert.Equal([new CniAttachmentId("a", "eth0"), new CniAttachmentId("b", "net1")], plugin.Calls[0].ValidAttachments);
        Assert.Equal([new CniAttachmentId("c", "eth0")], plugin.Calls[1].ValidAttachments);
        var (exit, stdout) = await Invoke(plugin, Env("GC"), Conf(extra: ""","cni.dev/valid-attachments":[{"containerID":1}]"""));
        Assert.Equal(1, exit);
        Error(stdout, 7, "1.1.0");
    }
}
