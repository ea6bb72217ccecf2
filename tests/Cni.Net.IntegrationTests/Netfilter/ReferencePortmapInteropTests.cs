using System.Net;
using System.Net.Sockets;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Netfilter;
using Cni.Net.Conventions;
using Cni.Net.Netfilter.Iptables;

namespace Cni.Net.IntegrationTests.Netfilter;

/// <summary>Our portmap and ip-masq rules against the reference plugins' on the real kernel, both ways.</summary>
public class ReferencePortmapInteropTests
{
    private const string Config = """
        {"cniVersion":"1.0.0","name":"demo","type":"portmap","capabilities":{"portMappings":true},
         "runtimeConfig":{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},{"hostPort":8443,"containerPort":443,"protocol":"tcp"},{"hostPort":5353,"containerPort":53,"protocol":"udp"}]},
         "prevResult":{"cniVersion":"1.0.0","interfaces":[{"name":"cni0"},{"name":"eth0","sandbox":"/x"}],"ips":[{"address":"10.1.2.3/24","gateway":"10.1.2.1","interface":1}]}}
        """;

    private static readonly HostPortMapping[] s_mappings = [new(8080, 80, "tcp"), new(8443, 443, "tcp"), new(5353, 53, "udp")];

    private static void RunReference(string command)
    {
        Shell.Output r = Shell.Run("/usr/lib/cni/portmap", [], Config, new Dictionary<string, string>
        {
            ["CNI_COMMAND"] = command,
            ["CNI_CONTAINERID"] = "ctr-abc123",
            ["CNI_NETNS"] = "/proc/self/ns/net",
            ["CNI_IFNAME"] = "eth0",
            ["CNI_PATH"] = "/usr/lib/cni",
        });
        Assert.True(r.ExitCode == 0, $"reference portmap {command} failed: {r.StdOut}{r.StdErr}");
    }

    [Fact]
    public async Task PortMap_OursEqualsReference_AndEachRemovesTheOthers()
    {
        Require.NotInRootNamespace();
        var backend = new IptablesNftBackend();
        string dn = CniNames.PortMapChain("demo", "ctr-abc123");
        try
        {
            RunReference("ADD");
            string reference = NetfilterTestSupport.Save("nat");
            Assert.Contains(":" + dn, reference, StringComparison.Ordinal);

            // Our DEL removes the reference plugin's container chain and its entry rules.
            await backend.ApplyAsync(PortMapRules.AddTeardown(new NetfilterTransaction(AddressFamily.InterNetwork), "demo", "ctr-abc123"), CancellationToken.None);
            string afterOurDel = NetfilterTestSupport.Save("nat");
            Assert.DoesNotContain(dn, afterOurDel, StringComparison.Ordinal);
            Assert.Contains(":CNI-HOSTPORT-DNAT", afterOurDel, StringComparison.Ordinal);

            // Our ADD writes exactly the reference plugin's table.
            await backend.ApplyAsync(PortMapRules.AddSetup(new NetfilterTransaction(AddressFamily.InterNetwork), "demo", "ctr-abc123",
                IPAddress.Parse("10.1.2.3"), 24, s_mappings), CancellationToken.None);
            Assert.Equal(reference, NetfilterTestSupport.Save("nat"));

            // The reference DEL removes what we wrote.
            RunReference("DEL");
            Assert.DoesNotContain(dn, NetfilterTestSupport.Save("nat"), StringComparison.Ordinal);
        }
        finally
        {
            NetfilterTestSupport.ResetTables();
        }
    }
}
