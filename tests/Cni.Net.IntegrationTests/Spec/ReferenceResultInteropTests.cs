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
}
