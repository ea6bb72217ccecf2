using System.Net;
using System.Net.Sockets;
using Cni.Net.Netfilter;
using Cni.Net.Conventions;

namespace Cni.Net.Tests.Plugins.PortMap;

/// <summary>The portmap knobs the samples/portmap plugin passes to PortMapRules, checked on the in-memory backend.</summary>
public class PortMapOptionsTests
{
    private static readonly HostPortMapping[] s_mappings = [new(8080, 80, "tcp")];

    private static async Task<string> NatAfter(PortMapOptions options, Action<NetfilterTransaction>? before = null)
    {
        var backend = new InMemoryNetfilterBackend();
        if (before is not null)
        {
            var t = new NetfilterTransaction(AddressFamily.InterNetwork);
            before(t);
            await backend.ApplyAsync(t, TestContext.Current.CancellationToken);
        }
        await backend.ApplyAsync(PortMapRules.AddSetup(new NetfilterTransaction(AddressFamily.InterNetwork), "demo", "ctr-abc123",
            IPAddress.Parse("10.1.2.3"), 24, s_mappings, options), TestContext.Current.CancellationToken);
        return backend.Save(AddressFamily.InterNetwork, NetfilterTable.Nat);
    }

    [Fact]
    public async Task MasqAll_MarksEverySource_AndDropsTheLocalhostRule()
    {
        string nat = await NatAfter(new PortMapOptions { MasqueradeAll = true });
        Assert.Contains("-A CNI-DN-252f4939ab2087ea53803 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK\n", nat, StringComparison.Ordinal);
        Assert.DoesNotContain("-s 127.0.0.1/32", nat, StringComparison.Ordinal);
        Assert.DoesNotContain("-s 10.1.2.0/24", nat, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Default_MarksHairpinAndLocalhost()
    {
        string nat = await NatAfter(new PortMapOptions());
        Assert.Contains("-A CNI-DN-252f4939ab2087ea53803 -s 10.1.2.0/24 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK\n", nat, StringComparison.Ordinal);
        Assert.Contains("-A CNI-DN-252f4939ab2087ea53803 -s 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK\n", nat, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExternalSetMarkChain_CreatesNeitherSharedMasqueradeChain()
    {
        string nat = await NatAfter(new PortMapOptions { ExternalSetMarkChain = "KUBE-MARK-MASQ" },
            t => t.EnsureChain(NetfilterTable.Nat, "KUBE-MARK-MASQ"));
        Assert.DoesNotContain("CNI-HOSTPORT-MASQ", nat, StringComparison.Ordinal);
        Assert.DoesNotContain("CNI-HOSTPORT-SETMARK", nat, StringComparison.Ordinal);
        Assert.Contains("--dport 8080 -j KUBE-MARK-MASQ\n", nat, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConditionsV4_AreAddedToTheEntryRules_InSaveOrder()
    {
        string nat = await NatAfter(new PortMapOptions { ConditionsV4 = ["!", "-d", "192.168.0.0/16", "-m", "mark", "!", "--mark", "0x1/0x1"] });
        Assert.Contains("-A CNI-HOSTPORT-DNAT ! -d 192.168.0.0/16 -p tcp -m comment --comment \"dnat name: \\\"demo\\\" id: \\\"ctr-abc123\\\"\" " +
            "-m multiport --dports 8080 -m mark ! --mark 0x1/0x1 -j CNI-DN-252f4939ab2087ea53803\n", nat, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-j", "ACCEPT")]
    [InlineData("-p", "udp")]
    [InlineData("-d")]
    [InlineData("--bogus", "1")]
    public void ConditionsV4_ThatAreNotMatches_AreRejected(params string[] conditions)
    {
        Assert.Throws<ArgumentException>(() => PortMapRules.AddSetup(new NetfilterTransaction(AddressFamily.InterNetwork), "demo", "c",
            IPAddress.Parse("10.1.2.3"), 24, s_mappings, new PortMapOptions { ConditionsV4 = conditions }));
    }
}
