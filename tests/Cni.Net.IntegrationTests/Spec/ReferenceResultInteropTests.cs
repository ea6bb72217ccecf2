using System.Text;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Spec;

/// <summary>
/// Results printed by the reference Go host-local, in every version it speaks, read by CniResult: each re-serializes
/// to the very same bytes, and converting one version's output gives exactly what host-local prints for the other.
/// </summary>
public sealed class ReferenceResultInteropTests
{
    private const string HostLocal = "/usr/lib/cni/host-local";

    private static readonly string[] s_versions = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0"];

    /// <summary>Runs ADD then DEL with a fresh dataDir, so every version hands out the same addresses.</summary>
    private static string RunAdd(TestNamespace ns, string version)
    {
        string dataDir = Directory.CreateTempSubdirectory("cni-spec-interop-").FullName;
        try
        {
            string resolv = Path.Combine(dataDir, "resolv.conf");
            File.WriteAllText(resolv, "nameserver 10.1.0.53\nsearch example.com\noptions ndots:2\n");
            string config = $$$"""
                {"cniVersion":"{{{version}}}","name":"interop","type":"host-local",
                 "ipam":{"type":"host-local","dataDir":"{{{dataDir}}}/store","resolvConf":"{{{resolv}}}",
                   "ranges":[[{"subnet":"10.1.0.0/24","gateway":"10.1.0.1"}],[{"subnet":"fd00:1::/64"}]],
                   "routes":[{"dst":"0.0.0.0/0"},{"dst":"192.168.0.0/16","gw":"10.1.0.254"},{"dst":"::/0"}]}}
                """;
            Shell.Output add = Shell.Run(HostLocal, [], config, Env("ADD", ns));
            Assert.True(add.ExitCode == 0, $"host-local ADD {version} failed: {add.StdOut}{add.StdErr}");
            string reservation = Path.Combine(dataDir, "store", "interop", "10.1.0.2");
            Assert.True(File.Exists(reservation));
            Shell.Output del = Shell.Run(HostLocal, [], config, Env("DEL", ns));
            Assert.True(del.ExitCode == 0, $"host-local DEL {version} failed: {del.StdOut}{del.StdErr}");
            Assert.False(File.Exists(reservation));
            return add.StdOut;
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static Dictionary<string, string> Env(string command, TestNamespace ns) => new()
    {
        ["CNI_COMMAND"] = command,
        ["CNI_CONTAINERID"] = "ctr-interop",
        ["CNI_NETNS"] = ns.Path,
        ["CNI_IFNAME"] = "eth0",
        ["CNI_PATH"] = "/usr/lib/cni",
    };

    [Fact]
    public void HostLocalResults_EveryVersion_ParseReserializeAndConvertExactly()
    {
        using var ns = new TestNamespace("spec");
        Dictionary<string, string> printed = s_versions.ToDictionary(v => v, v => RunAdd(ns, v));

        foreach (string version in s_versions)
        {
            CniResult result = CniResult.Parse(Encoding.UTF8.GetBytes(printed[version]));
            Assert.Equal(version, result.CniVersion.ToString());
            Assert.Equal(["10.1.0.2/24", "fd00:1::2/64"], result.IPs.Select(ip => ip.Address.ToString()));
            Assert.Equal(["10.1.0.53"], result.Dns!.Nameservers);
            // Byte for byte what Go printed (same key order, same four-space indentation).
            Assert.Equal(printed[version], Encoding.UTF8.GetString(result.ToUtf8Bytes(indented: true)));

            foreach (string target in s_versions)
            {
                CniResult converted = result.ConvertTo(CniVersion.Parse(target));
                Assert.Equal(printed[target], Encoding.UTF8.GetString(converted.ToUtf8Bytes(indented: true)));
            }
            // And on to 1.1.0, which this host-local does not speak: the 1.0.0 shape with the new version.
            Assert.Equal(printed["1.0.0"].Replace("\"1.0.0\"", "\"1.1.0\"", StringComparison.Ordinal),
                Encoding.UTF8.GetString(result.ConvertTo(CniVersion.V1_1_0).ToUtf8Bytes(indented: true)));
        }
    }

    [Fact]
    public void HostLocalError_ForUnsupportedVersion_ParsesAsCniError()
    {
        using var ns = new TestNamespace("spec");
        string config = """{"cniVersion":"1.1.0","name":"interop","type":"host-local","ipam":{"type":"host-local","subnet":"10.1.0.0/24"}}""";
        Shell.Output add = Shell.Run(HostLocal, [], config, Env("ADD", ns));
        Assert.Equal(1, add.ExitCode);

        CniError error = CniError.Parse(Encoding.UTF8.GetBytes(add.StdOut));
        Assert.Null(error.CniVersion);
        Assert.Equal((uint)CniErrorCode.IncompatibleVersion, error.Code);
        Assert.Equal("incompatible CNI versions", error.Msg);
        Assert.Contains("\"1.0.0\"", error.Details, StringComparison.Ordinal);
        Assert.Equal(add.StdOut, Encoding.UTF8.GetString(error.ToUtf8Bytes()));
    }

    /// <summary>
    /// Our serialization of a rich result, handed to the Go portmap plugin as prevResult: with no port mappings it
    /// parses prevResult with libcni's types and prints it back — identical bytes mean Go reads ours exactly.
    /// </summary>
    [Theory]
    [InlineData("0.3.0")]
    [InlineData("0.3.1")]
    [InlineData("0.4.0")]
    [InlineData("1.0.0")]
    public void OurResultAsPrevResult_GoPluginReadsAndReprintsItIdentically(string versionText)
    {
        CniVersion version = CniVersion.Parse(versionText);
        using var ns = new TestNamespace("spec");
        var result = new CniResult(CniVersion.V1_1_0) { Dns = new CniDns { Domain = "cluster.local" } };
        result.Dns.Nameservers.Add("10.96.0.10");
        result.Dns.Search.Add("svc.cluster.local");
        result.Dns.Options.Add("ndots:5");
        result.Interfaces.Add(new CniInterface { Name = "cni0", Mac = "0a:58:0a:f4:01:01", Mtu = 1500 });
        result.Interfaces.Add(new CniInterface { Name = "eth0", Mac = "0a:58:0a:f4:01:02", Sandbox = ns.Path });
        result.IPs.Add(new CniIPConfig { Address = CniIPNet.Parse("10.244.1.2/24"), Gateway = System.Net.IPAddress.Parse("10.244.1.1"), Interface = 1 });
        result.IPs.Add(new CniIPConfig { Address = CniIPNet.Parse("10.244.1.3/24"), Interface = 1 });
        result.IPs.Add(new CniIPConfig { Address = CniIPNet.Parse("fd00:10:244:1::2/64"), Gateway = System.Net.IPAddress.Parse("fd00:10:244:1::1"), Interface = 1 });
        result.Routes.Add(new CniRoute { Destination = CniIPNet.Parse("0.0.0.0/0"), Priority = 5 });
        result.Routes.Add(new CniRoute { Destination = CniIPNet.Parse("10.96.0.0/12"), Gateway = System.Net.IPAddress.Parse("10.244.1.254") });
        result.Routes.Add(new CniRoute { Destination = CniIPNet.Parse("::/0"), Gateway = System.Net.IPAddress.Parse("fd00:10:244:1::1") });
        CniResult converted = result.ConvertTo(version);

        PluginConfig config = PluginConfig.Parse("""{"type":"portmap","capabilities":{"portMappings":true}}"""u8);
        config.Name = "interop";
        config.CniVersion = version;
        config.PrevResult = converted;
        Shell.Output add = Shell.Run("/usr/lib/cni/portmap", [], Encoding.UTF8.GetString(config.ToUtf8Bytes()), Env("ADD", ns));

        Assert.True(add.ExitCode == 0, $"portmap ADD {version} failed: {add.StdOut}{add.StdErr}");
        Assert.Equal(Encoding.UTF8.GetString(converted.ToUtf8Bytes(indented: true)), add.StdOut);
    }
}
