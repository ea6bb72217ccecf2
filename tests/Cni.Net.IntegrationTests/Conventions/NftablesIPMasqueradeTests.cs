using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Cni.Net.Conventions;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Namespaces;

namespace Cni.Net.IntegrationTests.Conventions;

/// <summary>The reference's nftables ipMasq layout (bridge/ptp <c>ipMasqBackend: "nftables"</c>) on the real kernel.</summary>
public sealed class NftablesIPMasqueradeTests
{
    private static string Hash16(string s) => Convert.ToHexStringLower(SHA512.HashData(Encoding.UTF8.GetBytes(s)))[..16];

    private static string ExpectedComment(string net, string ifName, string id) =>
        $"{Hash16(net)}-{Hash16(ifName + ":" + id)}, net: {net}, if: {ifName}, id: {id}";

    /// <summary>
    /// What containernetworking/plugins v1.9.1 sends through knftables for one attachment — rebuilt, as data, from
    /// pkg/ip/ipmasq_nftables_linux.go at tag v1.9.1 (commit adc3e6b5b581638afbd194cf2e9319ecbb0151a1),
    /// setupIPMasqNFTablesWithInterface(); "priority srcnat" written as 100.
    /// </summary>
    private static string ReferenceTransaction(string net, string ifName, string id, params (string Ip, string Subnet)[] addresses)
    {
        var sb = new StringBuilder("""
            add table inet cni_plugins_masquerade { comment "Masquerading for plugins from github.com/containernetworking/plugins" ; }
            add chain inet cni_plugins_masquerade masq_checks { comment "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet" ; }
            add chain inet cni_plugins_masquerade postrouting { type nat hook postrouting priority 100 ; }
            flush chain inet cni_plugins_masquerade postrouting
            add rule inet cni_plugins_masquerade postrouting ip daddr == 224.0.0.0/4  return
            add rule inet cni_plugins_masquerade postrouting ip6 daddr == ff00::/8  return
            add rule inet cni_plugins_masquerade postrouting goto masq_checks

            """);
        foreach ((string ip, string subnet) in addresses)
        {
            string family = ip.Contains(':', StringComparison.Ordinal) ? "ip6" : "ip";
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"add rule inet cni_plugins_masquerade masq_checks {family} saddr == {ip} {family} daddr != {subnet} masquerade comment \"{ExpectedComment(net, ifName, id)}\"\n");
        }
        return sb.ToString();
    }

    private static JsonArray Ruleset(TestNamespace ns)
    {
        JsonNode root = JsonNode.Parse(ns.ExecCheck("nft", "-j", "list", "ruleset"))!;
        var kept = new JsonArray();
        foreach (JsonNode? item in root["nftables"]!.AsArray())
        {
            JsonObject o = item!.AsObject();
            if (o.ContainsKey("metainfo"))
            {
                continue;
            }
            foreach (var (_, body) in o)
            {
                body!.AsObject().Remove("handle");
            }
            kept.Add(o.DeepClone());
        }
        return kept;
    }

    [Fact]
    public void Setup_WritesExactlyTheReferenceV191Layout_AlignedAndUnalignedPrefixes_IPv4AndIPv6()
    {
        Require.NotInRootNamespace();
        using var ours = new TestNamespace("nftmasq");
        using var reference = new TestNamespace("nftmasqref");
        using (NetworkNamespace ns = NetworkNamespace.Open(ours.Path))
        {
            ns.Run(() =>
            {
                NftablesIPMasquerade.Setup("mynet", "eth0", "ctr-a", [(IPAddress.Parse("10.1.2.3"), 24), (IPAddress.Parse("fd00::3"), 64)]);
                NftablesIPMasquerade.Setup("mynet", "eth0", "ctr-b", [(IPAddress.Parse("10.1.2.4"), 20)]);
            });
        }
        string text = ReferenceTransaction("mynet", "eth0", "ctr-a", ("10.1.2.3", "10.1.2.0/24"), ("fd00::3", "fd00::/64")) +
                      ReferenceTransaction("mynet", "eth0", "ctr-b", ("10.1.2.4", "10.1.0.0/20"));
        Shell.Output r = Shell.Run("ip", ["netns", "exec", reference.Name, "nft", "-f", "-"], text);
        Assert.True(r.ExitCode == 0, r.StdErr + "\n" + text);
        JsonArray expected = Ruleset(reference), actual = Ruleset(ours);
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected\n{expected.ToJsonString()}\nactual\n{actual.ToJsonString()}");
        Assert.Contains("ip saddr 10.1.2.4 ip daddr != 10.1.0.0/20 masquerade", ours.ExecCheck("nft", "list", "ruleset"), StringComparison.Ordinal);
    }

    [Fact]
    public void Setup_LeavesTheReferencesSkeletonInPlace_AndRestoresAFlushedOne()
    {
        Require.NotInRootNamespace();
        using var node = new TestNamespace("nftmasqkeep");
        Shell.Output r = Shell.Run("ip", ["netns", "exec", node.Name, "nft", "-f", "-"],
            ReferenceTransaction("mynet", "eth0", "ctr-r", ("10.1.2.9", "10.1.2.0/24")));
        Assert.True(r.ExitCode == 0, r.StdErr);
        var written = NftablesPortMapTests.RulesOf(node, "inet", "cni_plugins_masquerade", "postrouting");
        Assert.Equal(3, written.Count);
        using NetworkNamespace ns = NetworkNamespace.Open(node.Path);

        // The multicast guards hold a bitwise expression, which the kernel dumps with an operation nft leaves out.
        ns.Run(() => NftablesIPMasquerade.Setup("mynet", "eth0", "ctr-a", [(IPAddress.Parse("10.1.2.3"), 24)]));
        Assert.Equal(written, NftablesPortMapTests.RulesOf(node, "inet", "cni_plugins_masquerade", "postrouting"));

        node.ExecCheck("nft", "flush", "chain", "inet", "cni_plugins_masquerade", "postrouting");
        ns.Run(() => NftablesIPMasquerade.Setup("mynet", "eth0", "ctr-b", [(IPAddress.Parse("10.1.2.4"), 24)]));
        Assert.Equal(written.Select(x => x.Statements), NftablesPortMapTests.RulesOf(node, "inet", "cni_plugins_masquerade", "postrouting").Select(x => x.Statements));
        ns.Run(() =>
        {
            Assert.True(NftablesIPMasquerade.HasRules("mynet", "eth0", "ctr-a", 1));
            Assert.True(NftablesIPMasquerade.HasRules("mynet", "eth0", "ctr-b", 1));
        });
    }

    [Fact]
    public void SetupAgain_Replaces_TeardownAndGC_RemoveByHash_AlsoTheReferencesRules()
    {
        Require.NotInRootNamespace();
        using var node = new TestNamespace("nftmasqgc");
        Shell.Output r = Shell.Run("ip", ["netns", "exec", node.Name, "nft", "-f", "-"],
            ReferenceTransaction("mynet", "eth0", "ctr-r", ("10.1.2.9", "10.1.2.0/24")));
        Assert.True(r.ExitCode == 0, r.StdErr);
        using NetworkNamespace ns = NetworkNamespace.Open(node.Path);
        ns.Run(() =>
        {
            NftablesIPMasquerade.Setup("mynet", "eth0", "ctr-a", [(IPAddress.Parse("10.1.2.3"), 24)]);
            NftablesIPMasquerade.Setup("mynet", "eth0", "ctr-a", [(IPAddress.Parse("10.1.2.3"), 24)]); // replaces, no duplicate
            NftablesIPMasquerade.Setup("other", "eth0", "ctr-o", [(IPAddress.Parse("10.9.0.3"), 24)]);
            NftablesIPMasquerade.Setup("mynet", "eth0", "ctr-b", [(IPAddress.Parse("10.1.2.4"), 24)]);
            Assert.True(NftablesIPMasquerade.HasRules("mynet", "eth0", "ctr-a", 1));
            Assert.False(NftablesIPMasquerade.HasRules("mynet", "eth0", "ctr-a", 2));
            Assert.True(NftablesIPMasquerade.HasRules("mynet", "eth0", "ctr-r", 1));

            Assert.Equal(1, NftablesIPMasquerade.Teardown("mynet", "eth0", "ctr-r"));
            // GC of mynet with only ctr-a valid removes ctr-b, not ctr-a and not the other network's ctr-o.
            Assert.Equal(1, NftablesIPMasquerade.GarbageCollect("mynet", [("ctr-a", "eth0")]));
            Assert.True(NftablesIPMasquerade.HasRules("other", "eth0", "ctr-o", 1));
        });
        string listing = node.ExecCheck("nft", "list", "chain", "inet", "cni_plugins_masquerade", "masq_checks");
        Assert.Contains("id: ctr-a\"", listing, StringComparison.Ordinal);
        Assert.Contains("id: ctr-o\"", listing, StringComparison.Ordinal);
        Assert.DoesNotContain("ctr-b", listing, StringComparison.Ordinal);
        Assert.DoesNotContain("ctr-r", listing, StringComparison.Ordinal);
        Assert.Single(listing.Split('\n'), l => l.Contains("id: ctr-a", StringComparison.Ordinal));
    }

    [Fact]
    public void AmongHundredsOfAttachments_SetupTeardownAndCheck_FindOnlyTheirOwnRules()
    {
        // 400 attachments' rules are a dump of several messages and reads; the search matches comments on the
        // kernel's bytes, and the last attachment's rule is the last the kernel sends.
        Require.NotInRootNamespace();
        using var node = new TestNamespace("nftmasqmany");
        var transaction = new StringBuilder(ReferenceTransaction("mynet", "eth0", "ctr-0", ("10.1.0.2", "10.1.0.0/16")));
        for (int i = 1; i < 400; i++)
        {
            transaction.Append(System.Globalization.CultureInfo.InvariantCulture,
                $"add rule inet cni_plugins_masquerade masq_checks ip saddr == 10.1.{i / 200}.{i % 200 + 2} ip daddr != 10.1.0.0/16 masquerade comment \"{ExpectedComment("mynet", "eth0", $"ctr-{i}")}\"\n");
        }
        Shell.Output r = Shell.Run("ip", ["netns", "exec", node.Name, "nft", "-f", "-"], transaction.ToString());
        Assert.True(r.ExitCode == 0, r.StdErr);
        using NetworkNamespace ns = NetworkNamespace.Open(node.Path);
        ns.Run(() =>
        {
            Assert.True(NftablesIPMasquerade.HasRules("mynet", "eth0", "ctr-399", 1));
            Assert.False(NftablesIPMasquerade.HasRules("mynet", "eth0", "ctr-400", 1));
            Assert.False(NftablesIPMasquerade.HasRules("mynet", "eth1", "ctr-399", 1));
            NftablesIPMasquerade.Setup("mynet", "eth0", "ctr-399", [(IPAddress.Parse("10.1.9.9"), 16)]);
            Assert.Equal(1, NftablesIPMasquerade.Teardown("mynet", "eth0", "ctr-200"));
            Assert.Equal(0, NftablesIPMasquerade.Teardown("mynet", "eth0", "ctr-200"));
            Assert.Equal(0, NftablesIPMasquerade.Teardown("mynet", "eth0", "ctr-400"));
        });
        string[] rules = node.ExecCheck("nft", "list", "chain", "inet", "cni_plugins_masquerade", "masq_checks")
            .Split('\n').Where(l => l.Contains("masquerade comment", StringComparison.Ordinal)).ToArray();
        Assert.Equal(399, rules.Length);
        Assert.Single(rules, l => l.Contains("id: ctr-399\"", StringComparison.Ordinal) && l.Contains("10.1.9.9", StringComparison.Ordinal));
        Assert.DoesNotContain(rules, l => l.Contains("id: ctr-200\"", StringComparison.Ordinal));
        Assert.Single(rules, l => l.Contains("id: ctr-0\"", StringComparison.Ordinal));
    }
}
