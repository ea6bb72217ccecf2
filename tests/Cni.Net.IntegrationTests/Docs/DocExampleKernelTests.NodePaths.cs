using System.Text.Json;
using Cni.Net.Examples.Guides;
using Cni.Net.Examples.SpecModel;
using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Docs;

/// <summary>
/// The snippets that use the node's own paths as written (/var/lib/cni, /etc/cni/net.d, /run/netns/cni-1234), each
/// run as <c>dotnet Guides.dll Name</c> or <c>dotnet SpecModel.dll Name</c> over a tmpfs on those paths.
/// </summary>
public sealed partial class DocExampleKernelTests
{
    // The mount points may not exist yet on a fresh machine (a runtime makes them on first use): an empty directory
    // is all that is left on the node; everything written goes to the tmpfs of this mount namespace.
    private const string NodePaths = """
        ip link set lo up
        mkdir -p /run/netns /etc/cni/net.d /var/lib/cni
        mount -t tmpfs tmpfs /run/netns
        mount -t tmpfs tmpfs /etc/cni/net.d
        mount -t tmpfs tmpfs /var/lib/cni
        if [ -d /opt/cni/bin ]; then mount -t tmpfs tmpfs /opt/cni/bin; fi
        """;

    [Fact]
    public void IpamGuide_Allocate_ReservesInTheDefaultStore()
    {
        Shell.Output r = Isolated($"""
            {NodePaths}
            dotnet {ExampleDll("Guides")} {nameof(IpamExamples.Allocate)}
            echo '---'; ls /var/lib/cni/networks/mynet
            echo '---'; cat /var/lib/cni/networks/mynet/10.22.0.2
            """);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        string[] parts = r.StdOut.Split("---\n");
        // What the guide's comment promises, and host-local's files for both sets, with the container id.
        Assert.Equal(["10.22.0.2/16 gw 10.22.0.1", "fd00:22::2/64 gw fd00:22::1"], parts[0].Trim().Split('\n'));
        Assert.Equal(["10.22.0.2", "fd00:22::2", "last_reserved_ip.0", "last_reserved_ip.1", "lock"], parts[1].Trim().Split('\n'));
        Assert.Equal(["ctr-1", "eth0"], parts[2].Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void KubenetGuide_Contract_SetsThePodUpAndTearsItDown()
    {
        // The reference plugins (/usr/lib/cni; /opt/cni/bin is hidden). Monitors record what happens between the
        // snippet's SetUpPodAsync and TearDownPodAsync: the pod's address, the host veth on cbr0, the ingress tbf.
        // Their files go to the private /var/lib/cni of this mount namespace (not /tmp: CI's checkout may live there).
        Shell.Output r = Isolated($$"""
            {{NodePaths}}
            mkdir /var/lib/cni/doc-monitors && cd /var/lib/cni/doc-monitors
            ip netns add cni-1234
            ip -o monitor link > host 2>&1 & m1=$!
            ip -n cni-1234 -o monitor link address > pod 2>&1 & m2=$!
            tc monitor > tc 2>&1 & m3=$!
            trap "kill $m1 $m2 $m3" EXIT
            # A monitor listens once it reports a change made for the purpose. It may subscribe after the first change,
            # so the change is repeated (a new value each time) until it is seen, for up to 10 s under load.
            ready() { f=$1; p=$2; shift 2; for i in $(seq 200); do "$@" $i; grep -q "$p" "$f" && return 0; sleep 0.05; done; echo "monitor $f not listening:" >&2; cat "$f" >&2; return 1; }
            host_poke() { ip link set lo mtu $((65530 + $1 % 2)); }
            pod_poke() { ip -n cni-1234 link set lo mtu $((65530 + $1 % 2)); }
            tc_poke() { tc qdisc replace dev lo root pfifo; tc qdisc del dev lo root; }
            ready host 'lo: .*mtu 6553[01]' host_poke
            ready pod 'lo: .*mtu 6553[01]' pod_poke
            ready tc 'qdisc pfifo' tc_poke
            dotnet {{ExampleDll("Guides")}} {{nameof(KubenetExamples.ContractAsync)}}
            sleep 0.3
            echo '---'; cat pod
            echo '---'; cat host
            echo '---'; cat tc
            echo '---'; ip -j addr show cbr0
            echo '---'; ip -n cni-1234 -j link show
            echo '---'; ls /var/lib/cni/networks/kubenet; cat /var/lib/cni/networks/kubenet/last_reserved_ip.0; echo
            echo '---'; iptables-nft-save -t nat
            """);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        string[] parts = r.StdOut.Split("---\n");
        Assert.Equal(["ips 10.244.1.2", "ready True"], parts[0].Trim().Split('\n').Select(l => l.Trim()));
        // During the run: eth0 in the pod had the address, the host end was a port of cbr0, the 10M annotation a tbf.
        Assert.Contains("eth0    inet 10.244.1.2/24", parts[1], StringComparison.Ordinal);
        Assert.Matches(@"veth\w+@if\d+: .* master cbr0 ", parts[2]);
        Assert.Matches(@"qdisc tbf 1: dev veth\w+ root .*rate 10Mbit", parts[3]);
        // After it: the bridge stays with the pod CIDR's gateway; the pod's eth0, its address and its DNAT are gone.
        JsonElement cbr0 = JsonDocument.Parse(parts[4]).RootElement[0];
        Assert.Contains(cbr0.GetProperty("addr_info").EnumerateArray(), a => a.GetProperty("local").GetString() == "10.244.1.1");
        Assert.DoesNotContain(JsonDocument.Parse(parts[5]).RootElement.EnumerateArray(), l => l.GetProperty("ifname").GetString() == "eth0");
        Assert.Equal(["last_reserved_ip.0", "lock", "10.244.1.2"], parts[6].Trim().Split('\n'));
        Assert.Contains("kubenet: SNAT for outbound traffic from cluster", parts[7], StringComparison.Ordinal);
        Assert.Contains(":CNI-HOSTPORT-DNAT", parts[7], StringComparison.Ordinal);
        Assert.DoesNotContain("8080", parts[7], StringComparison.Ordinal);
    }

    private const string KubenetConflist = """{"cniVersion":"1.0.0","name":"kubenet","plugins":[{"type":"bridge","bridge":"cbr0","ipam":{"type":"host-local","ranges":[[{"subnet":"10.244.1.0/24"}]]}},{"type":"portmap","capabilities":{"portMappings":true}}]}""";

    [Fact]
    public void GettingStarted_ReadList_ReadsTheNodesConflist()
    {
        Shell.Output r = Isolated($"""
            {NodePaths}
            echo '{KubenetConflist}' > /etc/cni/net.d/10-kubenet.conflist
            dotnet {ExampleDll("SpecModel")} {nameof(SpecModelExamples.ReadList)}
            """);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        Assert.Equal(["bridge capabilities: ", "portmap capabilities: portMappings", "list kubenet 1.0.0"], r.StdOut.Trim().Split('\n'));
    }

    [Fact]
    public void GettingStarted_ConfDir_FindsTheDefaultAndNamesTheBadFile()
    {
        Shell.Output r = Isolated($$"""
            {{NodePaths}}
            echo '{{KubenetConflist}}' > /etc/cni/net.d/10-kubenet.conflist
            printf '{\n "cniVersion": "1.0.0",\n "name": "typo",\n "plugins": [\n   {"type": "bridge",, }\n ]\n}\n' > /etc/cni/net.d/00-typo.conflist
            dotnet {{ExampleDll("SpecModel")}} {{nameof(SpecModelExamples.ConfDir)}}
            """);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        // 00-typo sorts first but is skipped, with its path, line and byte, as the guide's comment shows.
        Assert.Equal("default /etc/cni/net.d/10-kubenet.conflist kubenet 1.0.0", r.StdOut.Trim());
        Assert.Matches(@"^/etc/cni/net\.d/00-typo\.conflist:5:\d+: network config list: invalid JSON", r.StdErr.Trim());
    }
}
