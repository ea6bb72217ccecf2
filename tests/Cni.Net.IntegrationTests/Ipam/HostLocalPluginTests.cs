using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Ipam;

/// <summary>
/// The published NativeAOT host-local (artifacts/cni/bin/host-local) driven as a runtime drives it — CNI_*
/// environment and JSON on stdin — for every verb and version, compared with the reference binary on the same
/// config (each with its own temporary dataDir).
/// </summary>
public sealed class HostLocalPluginTests : IDisposable
{
    private const string Net = "hlnet";
    private static readonly string s_ours = Path.Combine(RepositoryRoot(), "artifacts", "cni", "bin", "host-local");
    private readonly string _oursData = Directory.CreateTempSubdirectory("cni-net-hl-ours-").FullName;
    private readonly string _refData = Directory.CreateTempSubdirectory("cni-net-hl-ref-").FullName;

    public void Dispose()
    {
        Directory.Delete(_oursData, recursive: true);
        Directory.Delete(_refData, recursive: true);
    }

    private static string RepositoryRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "Cni.Net.sln")))
            {
                return dir;
            }
        }
        throw new InvalidOperationException("Cni.Net.sln not found above " + AppContext.BaseDirectory);
    }

    private static string Config(string dataDir, string version, string ipamBody, string extra = "") =>
        "{\"cniVersion\":\"" + version + "\",\"name\":\"" + Net + "\",\"type\":\"bridge\"" + extra +
        ",\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"" + dataDir + "\"," + ipamBody + "}}";

    private static Shell.Output Run(string binary, string command, string config, string containerId = "ctr-1",
        string ifName = "eth0", string? args = null) =>
        ReferenceHostLocal.Run(binary, command, containerId, config, ifName, args);

    /// <summary>Runs the same request through both binaries and requires equal results and equal stores.</summary>
    private (JsonNode Ours, JsonNode Reference) AddBoth(string version, string ipamBody, string containerId = "ctr-1",
        string? args = null, string extra = "")
    {
        Shell.Output ours = Run(s_ours, "ADD", Config(_oursData, version, ipamBody, extra), containerId, args: args);
        Shell.Output reference = Run(ReferenceHostLocal.Binary, "ADD", Config(_refData, version, ipamBody, extra), containerId, args: args);
        Assert.True(reference.ExitCode == 0, $"reference failed: {reference.StdOut}{reference.StdErr}");
        Assert.True(ours.ExitCode == 0, $"ours failed: {ours.StdOut}{ours.StdErr}");
        JsonNode o = Normalize(JsonNode.Parse(ours.StdOut)!);
        JsonNode r = Normalize(JsonNode.Parse(reference.StdOut)!);
        Assert.Equal(r.ToJsonString(), o.ToJsonString());
        Assert.Equal(StoreSnapshot(_refData), StoreSnapshot(_oursData));
        return (o, r);
    }

    /// <summary>The reference prints an empty <c>"dns": {}</c> (and 0.2.0 an empty one per family); that means "none".</summary>
    private static JsonNode Normalize(JsonNode node)
    {
        if (node is JsonObject obj)
        {
            foreach (string key in obj.Select(p => p.Key).ToList())
            {
                if (obj[key] is JsonObject { Count: 0 } && key == "dns")
                {
                    obj.Remove(key);
                }
                else if (obj[key] is JsonNode child)
                {
                    Normalize(child);
                }
            }
        }
        else if (node is JsonArray arr)
        {
            foreach (JsonNode? child in arr)
            {
                if (child is not null)
                {
                    Normalize(child);
                }
            }
        }
        return node;
    }

    /// <summary>Every file of the network directory except the lock, with its exact content.</summary>
    private static string[] StoreSnapshot(string dataDir)
    {
        string dir = Path.Combine(dataDir, Net);
        if (!Directory.Exists(dir))
        {
            return [];
        }
        return [.. Directory.GetFiles(dir).Where(f => Path.GetFileName(f) != "lock")
            .Select(f => Path.GetFileName(f) + "=" + File.ReadAllText(f).Replace("\r\n", "\\r\\n", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];
    }

    private static JsonElement Error(Shell.Output output)
    {
        Assert.Equal(1, output.ExitCode);
        using JsonDocument doc = JsonDocument.Parse(output.StdOut);
        return doc.RootElement.Clone();
    }

    private static uint Code(Shell.Output output) => Error(output).GetProperty("code").GetUInt32();

    public static TheoryData<string> ReferenceVersions => ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0"];

    [Theory]
    [MemberData(nameof(ReferenceVersions))]
    public void Add_EveryReferenceVersion_SameResultAndStoreAsReference(string version)
    {
        // Dual stack: 0.1.0/0.2.0 carry it as ip4 + ip6 (routes inside each), later versions as ips[].
        const string body = """ "ranges":[[{"subnet":"10.55.0.0/24"}],[{"subnet":"fd00:55::/120"}]],"routes":[{"dst":"0.0.0.0/0"},{"dst":"192.168.0.0/16","gw":"10.55.0.254"},{"dst":"::/0"}]""";
        var (ours, _) = AddBoth(version, body);
        Assert.Equal(version, ours["cniVersion"]!.GetValue<string>());
        string text = ours.ToJsonString();
        Assert.Contains("10.55.0.2/24", text, StringComparison.Ordinal);
        Assert.Contains("fd00:55::2/120", text, StringComparison.Ordinal);
        AddBoth(version, body, "ctr-2");
    }

    [Fact]
    public void Add_DualStackWithLegacyKeysRoutesAndResolvConf_MatchesReference()
    {
        string resolv = Path.Combine(_oursData, "resolv.conf");
        File.WriteAllText(resolv, "# comment\nnameserver 10.0.0.53\nnameserver fd00::53\ndomain example.test\nsearch a.test b.test\noptions ndots:2 edns0\n");
        string body = $$""" "subnet":"10.56.0.0/24","rangeStart":"10.56.0.100","rangeEnd":"10.56.0.110","gateway":"10.56.0.254","ranges":[[{"subnet":"fd00:56::/120"}]],"resolvConf":"{{resolv}}","routes":[{"dst":"::/0"}]""";
        var (ours, _) = AddBoth("1.0.0", body);
        Assert.Equal("10.56.0.100/24", ours["ips"]![0]!["address"]!.GetValue<string>());
        Assert.Equal("10.56.0.254", ours["ips"]![0]!["gateway"]!.GetValue<string>());
        Assert.Equal("fd00:56::2/120", ours["ips"]![1]!["address"]!.GetValue<string>());
        Assert.Equal("""["10.0.0.53","fd00::53"]""", ours["dns"]!["nameservers"]!.ToJsonString());
        AddBoth("1.0.0", body, "ctr-2");
    }

    [Fact]
    public void Add_RequestedIPs_FromCniArgsArgsAndCapability_MatchReference()
    {
        string body = """ "ranges":[[{"subnet":"10.57.0.0/24"}],[{"subnet":"fd00:57::/120"}]]""";
        var (a, _) = AddBoth("1.0.0", body, "ctr-a", args: "IgnoreUnknown=1;K8S_POD_NAME=x;IP=10.57.0.42");
        Assert.Equal("10.57.0.42/24", a["ips"]![0]!["address"]!.GetValue<string>());
        var (b, _) = AddBoth("1.0.0", body, "ctr-b", extra: ""","args":{"cni":{"ips":["fd00:57::77"]}}""");
        Assert.Equal("fd00:57::77/120", b["ips"]![1]!["address"]!.GetValue<string>());
        var (c, _) = AddBoth("1.0.0", body, "ctr-c", extra: ""","runtimeConfig":{"ips":["10.57.0.9/24","fd00:57::9/120"]}""");
        Assert.Equal("10.57.0.9/24", c["ips"]![0]!["address"]!.GetValue<string>());
        Assert.Equal("fd00:57::9/120", c["ips"]![1]!["address"]!.GetValue<string>());
    }

    [Fact]
    public void Add_RuntimeIPRanges_ComeFirst_MatchReference()
    {
        var (o, _) = AddBoth("1.0.0", """ "ranges":[[{"subnet":"10.58.0.0/24"}]]""",
            extra: ""","runtimeConfig":{"ipRanges":[[{"subnet":"10.59.0.0/24"}]]}""");
        Assert.Equal(["10.59.0.2/24", "10.58.0.2/24"], o["ips"]!.AsArray().Select(ip => ip!["address"]!.GetValue<string>()));
    }

    [Fact]
    public void Add_Version110_ResultInLatestFormat()
    {
        Shell.Output r = Run(s_ours, "ADD", Config(_oursData, "1.1.0", """ "ranges":[[{"subnet":"10.60.0.0/24"}]]"""));
        Assert.Equal(0, r.ExitCode);
        JsonNode o = JsonNode.Parse(r.StdOut)!;
        Assert.Equal("1.1.0", o["cniVersion"]!.GetValue<string>());
        Assert.Equal("10.60.0.2/24", o["ips"]![0]!["address"]!.GetValue<string>());
    }

    [Fact]
    public void Del_ReleasesAndIsRepeatable_SameStoreAsReference()
    {
        string body = """ "ranges":[[{"subnet":"10.61.0.0/24"}],[{"subnet":"fd00:61::/120"}]]""";
        AddBoth("0.4.0", body, "ctr-a");
        AddBoth("0.4.0", body, "ctr-b");
        foreach (string binary in new[] { s_ours, ReferenceHostLocal.Binary })
        {
            string data = binary == s_ours ? _oursData : _refData;
            for (int i = 0; i < 2; i++)
            {
                Shell.Output del = Run(binary, "DEL", Config(data, "0.4.0", body), "ctr-a");
                Assert.True(del.ExitCode == 0, del.StdOut + del.StdErr);
                Assert.Equal("", del.StdOut.Trim());
            }
        }
        Assert.Equal(StoreSnapshot(_refData), StoreSnapshot(_oursData));
        Assert.Equal(["10.61.0.3=ctr-b\\r\\neth0", "fd00:61::3=ctr-b\\r\\neth0", "last_reserved_ip.0=10.61.0.3", "last_reserved_ip.1=fd00:61::3"],
            StoreSnapshot(_oursData));
    }

    [Fact]
    public void Del_WithoutNetnsAndWithoutStore_Succeeds()
    {
        var env = ReferenceHostLocal.Environment("DEL", "ctr-none");
        env.Remove("CNI_NETNS");
        Shell.Output del = Shell.Run(s_ours, [], Config(_oursData, "1.0.0", """ "ranges":[[{"subnet":"10.62.0.0/24"}]]"""), env);
        Assert.True(del.ExitCode == 0, del.StdOut + del.StdErr);
    }

    [Fact]
    public void Check_AfterAdd_SucceedsAndUnknownContainer_Code3()
    {
        string config = Config(_oursData, "1.0.0", """ "ranges":[[{"subnet":"10.63.0.0/24"}]]""");
        Assert.Equal(0, Run(s_ours, "ADD", config).ExitCode);
        Shell.Output ok = Run(s_ours, "CHECK", config);
        Assert.True(ok.ExitCode == 0, ok.StdOut + ok.StdErr);
        Assert.Equal(3u, Code(Run(s_ours, "CHECK", config, "ctr-other")));
        Assert.Equal(0, Run(s_ours, "DEL", config).ExitCode);
        Assert.Equal(3u, Code(Run(s_ours, "CHECK", config)));
    }

    [Fact]
    public void GC_ReleasesWhatIsNotValid()
    {
        string body = """ "ranges":[[{"subnet":"10.64.0.0/24"}]]""";
        foreach (string id in new[] { "keep", "gone-1", "gone-2" })
        {
            Assert.Equal(0, Run(s_ours, "ADD", Config(_oursData, "1.1.0", body), id).ExitCode);
        }
        var env = ReferenceHostLocal.Environment("GC", "unused");
        env.Remove("CNI_CONTAINERID");
        env.Remove("CNI_NETNS");
        env.Remove("CNI_IFNAME");
        Shell.Output gc = Shell.Run(s_ours, [], Config(_oursData, "1.1.0", body,
            ""","cni.dev/valid-attachments":[{"containerID":"keep","ifname":"eth0"}]"""), env);
        Assert.True(gc.ExitCode == 0, gc.StdOut + gc.StdErr);
        Assert.Equal(["10.64.0.2=keep\\r\\neth0", "last_reserved_ip.0=10.64.0.4"], StoreSnapshot(_oursData));
    }

    [Fact]
    public void Status_ExhaustedRange_Code50()
    {
        string config = Config(_oursData, "1.1.0", """ "ranges":[[{"subnet":"10.65.0.0/30"}]]""");
        var env = ReferenceHostLocal.Environment("STATUS", "unused");
        env.Remove("CNI_CONTAINERID");
        env.Remove("CNI_NETNS");
        env.Remove("CNI_IFNAME");
        Shell.Output ready = Shell.Run(s_ours, [], config, env);
        Assert.True(ready.ExitCode == 0, ready.StdOut + ready.StdErr);
        Assert.Equal(0, Run(s_ours, "ADD", config).ExitCode);
        JsonElement error = Error(Shell.Run(s_ours, [], config, env));
        Assert.Equal(50u, error.GetProperty("code").GetUInt32());
        Assert.Contains("10.65.0.1-10.65.0.2", error.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.Equal(100u, Code(Run(s_ours, "ADD", config, "ctr-2")));
    }

    [Fact]
    public void Version_ListsEverySupportedVersion()
    {
        var env = new Dictionary<string, string> { ["CNI_COMMAND"] = "VERSION" };
        Shell.Output r = Shell.Run(s_ours, [], """{"cniVersion":"1.1.0"}""", env);
        Assert.Equal(0, r.ExitCode);
        JsonNode v = JsonNode.Parse(r.StdOut)!;
        string[] supported = [.. v["supportedVersions"]!.AsArray().Select(n => n!.GetValue<string>())];
        Assert.Equal(["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"], supported);
    }

    [Theory]
    [InlineData("{\"cniVersion\":\"1.0.0\",\"name\":\"hlnet\",", 6u)]
    [InlineData("{\"cniVersion\":\"1.0.0\",\"name\":\"hlnet\",\"type\":\"bridge\"}", 7u)]
    [InlineData("{\"cniVersion\":\"1.0.0\",\"name\":\"hlnet\",\"type\":\"bridge\",\"ipam\":{\"type\":\"host-local\"}}", 7u)]
    [InlineData("{\"cniVersion\":\"9.9.9\",\"name\":\"hlnet\",\"type\":\"bridge\",\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.1.0.0/24\"}}", 1u)]
    public void Add_BadConfig_ErrorCode(string config, uint code)
    {
        Shell.Output r = Run(s_ours, "ADD", config);
        JsonElement e = Error(r);
        Assert.Equal(code, e.GetProperty("code").GetUInt32());
        Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("msg").GetString()));
        Assert.True(e.TryGetProperty("cniVersion", out _), "error JSON without cniVersion: " + r.StdOut);
        Assert.DoesNotContain("   at ", r.StdOut + r.StdErr, StringComparison.Ordinal);
    }

    // One policy for every plugin built on the SDK: a value of the wrong type is code 7 naming the key path.
    [Theory]
    [InlineData("\"ranges\":\"10.66.0.0/24\"", "ipam.ranges: expected a list, found a string")]
    [InlineData("\"ranges\":[{\"subnet\":\"10.66.0.0/24\"}]", "ipam.ranges[0]: expected a list, found an object")]
    [InlineData("\"ranges\":[[{\"subnet\":24}]]", "ipam.ranges[0][0].subnet: expected a string, found")]
    [InlineData("\"subnet\":\"10.66.0.0/24\",\"resolvConf\":false", "ipam.resolvConf: expected a string, found")]
    [InlineData("\"subnet\":\"10.66.0.0/24\",\"routes\":{}", "ipam.routes: expected a list, found an object")]
    [InlineData("\"subnet\":\"10.66.0.0/24\",\"RoUtEs\":[{\"dst\":\"0.0.0.0/0\",\"MTU\":\"x\"}]", "ipam.routes[0].mtu: expected an integer, found")]
    public void Add_WrongTypedKey_Code7NamingTheKeyPath(string ipamBody, string message)
    {
        JsonElement e = Error(Run(s_ours, "ADD", Config(_oursData, "1.0.0", ipamBody)));
        Assert.Equal(7u, e.GetProperty("code").GetUInt32());
        Assert.StartsWith(message, e.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(StoreSnapshot(_oursData), f => !f.StartsWith("last_", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("\"subnet\":\"10.66.0.5/24\"", "subnet", "host bits set")]
    [InlineData("\"subnet\":\"10.66.0.0/31\"", "subnet", "too small")]
    [InlineData("\"subnet\":\"10.66.0.0/24\",\"rangeStart\":\"10.67.0.1\"", "rangeStart", "outside subnet")]
    [InlineData("\"subnet\":\"10.66.0.0/24\",\"gateway\":\"fd00::1\"", "gateway", "same address family")]
    [InlineData("\"ranges\":[[{\"subnet\":\"10.66.0.0/24\"},{\"subnet\":\"fd00::/64\"}]]", null, "mixed address families")]
    [InlineData("\"ranges\":[[{\"subnet\":\"10.66.0.0/24\"}],[{\"subnet\":\"10.66.0.0/16\"}]]", null, "range set 0 overlaps with range set 1")]
    public void Add_InvalidRange_Code7NamingTheKey(string ipamBody, string? key, string text)
    {
        string msg = Error(Run(s_ours, "ADD", Config(_oursData, "1.0.0", ipamBody))) is var e && e.GetProperty("code").GetUInt32() == 7
            ? e.GetProperty("msg").GetString()!
            : throw new Xunit.Sdk.XunitException("expected code 7: " + e);
        Assert.Contains(text, msg, StringComparison.Ordinal);
        if (key is not null)
        {
            Assert.Contains($"'{key}'", msg, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(StoreSnapshot(_oursData), f => !f.StartsWith("last_", StringComparison.Ordinal));
    }

    [Fact]
    public void Add_RequestedErrors_CodesAndNoLeftovers()
    {
        string body = """ "ranges":[[{"subnet":"10.68.0.0/24"}],[{"subnet":"fd00:68::/120"}]]""";
        string config = Config(_oursData, "1.0.0", body);
        Assert.Equal(7u, Code(Run(s_ours, "ADD", config, "c1", args: "IP=10.99.0.1")));
        Assert.Equal(7u, Code(Run(s_ours, "ADD", config, "c1", args: "IP=10.68.0.1")));
        Assert.Equal(4u, Code(Run(s_ours, "ADD", config, "c1", args: "FOO=bar")));
        Assert.Equal(0, Run(s_ours, "ADD", config, "c1", args: "IP=10.68.0.7").ExitCode);
        Assert.Equal(101u, Code(Run(s_ours, "ADD", config, "c2", args: "IP=10.68.0.7")));
        Assert.Equal(102u, Code(Run(s_ours, "ADD", config, "c1")));
        // The rolled-back ADD (IP=10.99.0.1) had taken fd00:68::2 and recorded it as last reserved, as the
        // reference does, so round-robin moves on to ::3.
        Assert.Equal(["10.68.0.7=c1\\r\\neth0", "fd00:68::3=c1\\r\\neth0"],
            StoreSnapshot(_oursData).Where(f => !f.StartsWith("last_", StringComparison.Ordinal)));
    }

    [Fact]
    public void Add_MissingContainerId_Code4NamingVariable()
    {
        var env = ReferenceHostLocal.Environment("ADD", "x");
        env.Remove("CNI_CONTAINERID");
        Shell.Output r = Shell.Run(s_ours, [], Config(_oursData, "1.0.0", """ "subnet":"10.69.0.0/24" """), env);
        JsonElement e = Error(r);
        Assert.Equal(4u, e.GetProperty("code").GetUInt32());
        Assert.Contains("CNI_CONTAINERID", e.GetProperty("msg").GetString(), StringComparison.Ordinal);
    }

    public static TheoryData<string> AllVersions => ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

    [Theory]
    [MemberData(nameof(AllVersions))]
    public void DelAndCheck_EveryVersion_ReleaseOrGateAsTheSpecSays(string version)
    {
        string config = Config(_oursData, version, """ "ranges":[[{"subnet":"10.70.0.0/24"}]]""");
        Assert.Equal(0, Run(s_ours, "ADD", config).ExitCode);
        Shell.Output check = Run(s_ours, "CHECK", config);
        if (CompareVersions(version, "0.4.0") >= 0)
        {
            Assert.True(check.ExitCode == 0, check.StdOut + check.StdErr);
        }
        else
        {
            // CHECK does not exist before 0.4.0: incompatible version, and nothing is touched.
            Assert.Equal(1u, Code(check));
        }
        Shell.Output del = Run(s_ours, "DEL", config);
        Assert.True(del.ExitCode == 0, del.StdOut + del.StdErr);
        Assert.Equal(["last_reserved_ip.0=10.70.0.2"], StoreSnapshot(_oursData));
    }

    private static int CompareVersions(string a, string b) =>
        new Version(a).CompareTo(new Version(b));

    [Fact]
    public void Del_AfterRangesBecameInvalid_StillReleases()
    {
        Assert.Equal(0, Run(s_ours, "ADD", Config(_oursData, "1.0.0", """ "ranges":[[{"subnet":"10.71.0.0/24"}]]""")).ExitCode);
        // The subnet was edited into something invalid before the pod went away; the reference would fail DEL here.
        Shell.Output del = Run(s_ours, "DEL", Config(_oursData, "1.0.0", """ "ranges":[[{"subnet":"10.71.0.0/33"}]]"""), args: "Unknown=1");
        Assert.True(del.ExitCode == 0, del.StdOut + del.StdErr);
        Assert.Equal(["last_reserved_ip.0=10.71.0.2"], StoreSnapshot(_oursData));
    }

    [Fact]
    public void MixedBinaries_EachReleasesAndChecksWhatTheOtherAdded()
    {
        string body = """ "ranges":[[{"subnet":"10.72.0.0/24"}],[{"subnet":"fd00:72::/120"}]]""";
        string config = Config(_oursData, "1.0.0", body);
        Assert.Equal(0, Run(s_ours, "ADD", config, "by-ours").ExitCode);
        Assert.Equal(0, Run(ReferenceHostLocal.Binary, "ADD", config, "by-ref").ExitCode);
        Assert.Equal(0, Run(ReferenceHostLocal.Binary, "CHECK", config, "by-ours").ExitCode);
        Shell.Output check = Run(s_ours, "CHECK", config, "by-ref");
        Assert.True(check.ExitCode == 0, check.StdOut + check.StdErr);
        Assert.Equal(["10.72.0.2=by-ours\\r\\neth0", "10.72.0.3=by-ref\\r\\neth0", "fd00:72::2=by-ours\\r\\neth0", "fd00:72::3=by-ref\\r\\neth0"],
            StoreSnapshot(_oursData).Where(f => !f.StartsWith("last_", StringComparison.Ordinal)));
        Assert.Equal(0, Run(ReferenceHostLocal.Binary, "DEL", config, "by-ours").ExitCode);
        Assert.Equal(0, Run(s_ours, "DEL", config, "by-ref").ExitCode);
        Assert.Equal(["last_reserved_ip.0=10.72.0.3", "last_reserved_ip.1=fd00:72::3"], StoreSnapshot(_oursData));
    }

    [Fact]
    public void ConcurrentAdds_FromBothBinaries_NeverShareAnAddress()
    {
        string config = Config(_oursData, "1.0.0", """ "ranges":[[{"subnet":"10.73.0.0/27"}]]""");
        var processes = new List<(string Id, System.Diagnostics.Process Process)>();
        for (int i = 0; i < 16; i++)
        {
            string id = $"par-{i}";
            var psi = new System.Diagnostics.ProcessStartInfo(i % 2 == 0 ? s_ours : ReferenceHostLocal.Binary)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var (k, v) in ReferenceHostLocal.Environment("ADD", id))
            {
                psi.Environment[k] = v;
            }
            var p = System.Diagnostics.Process.Start(psi)!;
            processes.Add((id, p));
        }
        foreach (var (_, p) in processes)
        {
            p.StandardInput.Write(config);
            p.StandardInput.Close();
        }
        var addresses = new List<string>();
        foreach (var (id, p) in processes)
        {
            string stdout = p.StandardOutput.ReadToEnd();
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.True(p.ExitCode == 0, $"{id}: {stdout}{p.StandardError.ReadToEnd()}");
            addresses.Add(JsonNode.Parse(stdout)!["ips"]![0]!["address"]!.GetValue<string>());
            p.Dispose();
        }
        Assert.Equal(16, addresses.Distinct().Count());
        string[] files = [.. StoreSnapshot(_oursData).Where(f => !f.StartsWith("last_", StringComparison.Ordinal))];
        Assert.Equal(16, files.Length);
        foreach (var (id, _) in processes)
        {
            Assert.Single(files, f => f.EndsWith("=" + id + "\\r\\neth0", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("GC")]
    [InlineData("STATUS")]
    public void GCAndStatus_BeforeVersion110_IncompatibleAndStoreUntouched(string command)
    {
        string body = """ "ranges":[[{"subnet":"10.74.0.0/24"}]]""";
        Assert.Equal(0, Run(s_ours, "ADD", Config(_oursData, "1.0.0", body), "c1").ExitCode);
        var env = ReferenceHostLocal.Environment(command, "unused");
        env.Remove("CNI_CONTAINERID");
        env.Remove("CNI_NETNS");
        env.Remove("CNI_IFNAME");
        Shell.Output r = Shell.Run(s_ours, [], Config(_oursData, "1.0.0", body, ""","cni.dev/valid-attachments":[]"""), env);
        Assert.Equal(1u, Code(r));
        Assert.Equal(["10.74.0.2=c1\\r\\neth0", "last_reserved_ip.0=10.74.0.2"], StoreSnapshot(_oursData));
    }
}
