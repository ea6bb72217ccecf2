using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Namespaces;
using Cni.Net.Netfilter;
using Cni.Net.Netlink;
using Cni.Net.Netfilter.Conntrack;

namespace Cni.Net.IntegrationTests.Netfilter;

/// <summary>
/// <see cref="ConntrackTable"/> against the kernel: real UDP flows from a peer namespace over a veth pair into a
/// "node" namespace that tracks connections, checked with the conntrack tool before and after.
/// </summary>
public sealed partial class ConntrackTableTests : IDisposable
{
    private readonly TestNamespace _node = new("ctnode");
    private readonly TestNamespace _peer = new("ctpeer");

    public ConntrackTableTests()
    {
        Require.NotInRootNamespace();
        Shell.Check("ip", "-n", _node.Name, "link", "add", "ct0", "type", "veth", "peer", "name", "ct1", "netns", _peer.Name);
        foreach (var (ns, link, v4, v6) in new[] { (_node, "ct0", "10.99.0.1/24", "fd99::1/64"), (_peer, "ct1", "10.99.0.2/24", "fd99::2/64") })
        {
            Shell.Check("ip", "-n", ns.Name, "addr", "add", v4, "dev", link);
            Shell.Check("ip", "-n", ns.Name, "addr", "add", v6, "dev", link, "nodad");
            Shell.Check("ip", "-n", ns.Name, "link", "set", link, "up");
        }
    }

    public void Dispose()
    {
        _peer.Dispose();
        _node.Dispose();
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public void DeleteFlows_RemovesOnlyTheFlowsToTheChosenPorts(AddressFamily family)
    {
        TrackConnections();
        string family4or6 = family == AddressFamily.InterNetwork ? "ipv4" : "ipv6";
        string other = family == AddressFamily.InterNetwork ? "ipv6" : "ipv4";
        SendUdp(AddressFamily.InterNetwork, [(41000, 5000), (41001, 5001), (41002, 5002), (41003, 5000)]);
        SendUdp(AddressFamily.InterNetworkV6, [(41000, 5000), (41001, 5001), (41002, 5002), (41003, 5000)]);
        SendTcpSyn(family, 5001);
        Assert.Equal(["5000", "5000", "5001", "5002"], DestinationPorts(family4or6, "udp"));
        Assert.Equal(["5001"], DestinationPorts(family4or6, "tcp"));

        using var table = OpenTable();
        table.DeleteFlows(family, ProtocolType.Udp, [5000, 5002]);

        // This kernel (6.11+) flushes by filter itself; the dump fallback is covered below.
        Assert.True(table.KernelFlush);
        Assert.Equal(["5001"], DestinationPorts(family4or6, "udp"));
        // TCP to the same port range and the other family's flows stay.
        Assert.Equal(["5001"], DestinationPorts(family4or6, "tcp"));
        Assert.Equal(["5000", "5000", "5001", "5002"], DestinationPorts(other, "udp"));

        // Nothing left to delete is not an error.
        table.DeleteFlows(family, ProtocolType.Udp, [5000, 5002]);
        Assert.Equal(["5001"], DestinationPorts(family4or6, "udp"));
    }

    [Fact]
    public void TryDeleteFlowsDetached_OutsideAPluginProcess_LeavesTheWorkToDeleteFlows()
    {
        // Only a plugin process that exits after its answer hands the flush to a detached process (the plugins' own
        // tests see it do so); a long-lived process, as this one, is told to call DeleteFlows, and nothing is deleted
        // meanwhile. A table with no entry at all has nothing to hand over.
        TrackConnections();
        SendUdp(AddressFamily.InterNetwork, [(41000, 5000)]);
        using var table = OpenTable();
        Assert.Throws<ArgumentException>(() => table.TryDeleteFlowsDetached(AddressFamily.InterNetwork, ProtocolType.Udp, [0]));

        Assert.False(table.TryDeleteFlowsDetached(AddressFamily.InterNetwork, ProtocolType.Udp, [5000]));
        Assert.Equal(["5000"], DestinationPorts("ipv4", "udp"));

        table.DeleteFlows(AddressFamily.InterNetwork, ProtocolType.Udp, [5000]);
        Assert.Empty(DestinationPorts("ipv4", "udp"));
        Assert.True(table.TryDeleteFlowsDetached(AddressFamily.InterNetwork, ProtocolType.Udp, [5000]));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DeleteFlows_DumpAndDelete_SameEffectAsKernelFlush(bool kernelFilter)
    {
        // What kernels before 6.11 get: a (filtered from 5.8 on, else unfiltered) dump, then one batch of deletions.
        TrackConnections();
        SendUdp(AddressFamily.InterNetwork, [(41000, 5000), (41001, 5001), (41002, 5002)]);
        SendUdp(AddressFamily.InterNetwork, [(41003, 5000)]);
        using var table = OpenTable();
        table.KernelFlush = false;
        table.KernelFilter = kernelFilter;

        table.DeleteFlows(AddressFamily.InterNetwork, ProtocolType.Udp, [5002, 5000]);

        Assert.Equal(["5001"], DestinationPorts("ipv4", "udp"));
    }

    [Fact]
    public void Delete_CountsWhatTheBatchRemoved()
    {
        TrackConnections();
        SendUdp(AddressFamily.InterNetwork, [(41000, 5000), (41001, 5001), (41002, 5000)]);
        using var table = OpenTable();
        var matches = new List<ConntrackEntry>();
        var handler = new ConntrackTable.MatchHandler(matches, 2, 17, [5000]);
        table.Dump(ref handler, 2, 0, 0);
        Assert.Equal(2, matches.Count);

        Assert.Equal(2, table.Delete(matches));
        // Both are gone now: deleting them again is tolerated (ENOENT) and counts nothing.
        Assert.Equal(0, table.Delete(matches));
        Assert.Equal(["5001"], DestinationPorts("ipv4", "udp"));
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public void KernelFilteredDump_SendsOnlyTheEntriesToThePort(AddressFamily family)
    {
        // The kernel's CTA_FILTER is worth using only if it really filters: check that on this kernel.
        TrackConnections();
        SendUdp(family, [(41000, 5000), (41001, 5001), (41002, 5002), (41003, 5001)]);
        SendTcpSyn(family, 5001);
        using var table = OpenTable();
        var matches = new List<ConntrackEntry>();
        byte af = family == AddressFamily.InterNetwork ? (byte)2 : (byte)10;
        var handler = new ConntrackTable.MatchHandler(matches, af, 17, [5001]);

        Assert.True(table.TryFilteredDumps(ref handler, af, 17, [5001]));

        Assert.True(table.KernelFilter);
        Assert.True(handler.SawFilteredFlag);
        Assert.Equal(2, handler.Received);
        Assert.Equal(2, matches.Count);
        Assert.All(matches, m => Assert.Equal((ushort)5001, m.DestinationPort));
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public void ListFlows_MatchesTheConntrackTool(AddressFamily family)
    {
        TrackConnections();
        SendUdp(family, [(41000, 5000), (41001, 5001)]);
        SendTcpSyn(family, 5003);
        using var table = OpenTable();

        var ours = table.ListFlows(family)
            .Select(f => $"{(int)f.Protocol} {f.Source} {f.SourcePort} {f.Destination} {f.DestinationPort} {f.Zone}")
            .Order(StringComparer.Ordinal).ToArray();

        string text = Shell.Check("ip", "netns", "exec", _node.Name, "conntrack", "-L", "-f",
            family == AddressFamily.InterNetwork ? "ipv4" : "ipv6");
        var tool = text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => ToolTuple().Match(line))
            .Where(m => m.Success)
            .Select(m => $"{m.Groups["num"].Value} {IPAddress.Parse(m.Groups["src"].Value)} {m.Groups["sport"].Value} " +
                         $"{IPAddress.Parse(m.Groups["dst"].Value)} {m.Groups["dport"].Value} 0")
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(3, tool.Length);
        Assert.Equal(tool, ours);
        // The entry count is read from the table's namespace, not the caller's.
        Assert.Equal(3, table.TrackedEntries());
    }

    [Fact]
    public void Delete_EntriesThatAreAlreadyGone_AreNotAnError()
    {
        TrackConnections();
        SendUdp(AddressFamily.InterNetwork, [(41000, 5000), (41001, 5001)]);
        using var table = OpenTable();
        var matches = new List<ConntrackEntry>();
        var handler = new ConntrackTable.MatchHandler(matches, 2, 17, [5000, 5001]);
        table.Dump(ref handler, 2, 0, 0);
        Assert.Equal(2, matches.Count);
        Shell.Check("ip", "netns", "exec", _node.Name, "conntrack", "-D", "-f", "ipv4", "-p", "udp", "--orig-port-dst", "5000");

        // One entry was deleted behind our back: its ENOENT is tolerated, the other is deleted.
        Assert.Equal(1, table.Delete(matches));
        Assert.Empty(DestinationPorts("ipv4", "udp"));
    }

    [Fact]
    public void ANamespaceWithoutConnectionTracking_HasNothingToDelete()
    {
        // No rule in _node needs conntrack, so the kernel tracks nothing there.
        SendUdp(AddressFamily.InterNetwork, [(41000, 5000)]);
        using var table = OpenTable();

        Assert.Equal(0, table.TrackedEntries());
        Assert.Empty(table.ListFlows(AddressFamily.InterNetwork));
        table.DeleteFlows(AddressFamily.InterNetwork, ProtocolType.Udp, [5000]);
        table.DeleteFlows(AddressFamily.InterNetworkV6, ProtocolType.Udp, [5000]);
        Assert.Empty(table.ListFlows(AddressFamily.InterNetwork));
    }

    [Fact]
    public void BadArguments_AreArgumentExceptions()
    {
        using var table = OpenTable();

        Assert.Throws<ArgumentException>(() => table.DeleteFlows(AddressFamily.Unix, ProtocolType.Udp, [53]));
        Assert.Throws<ArgumentException>(() => table.DeleteFlows(AddressFamily.InterNetwork, ProtocolType.Icmp, [53]));
        Assert.Throws<ArgumentException>(() => table.DeleteFlows(AddressFamily.InterNetwork, ProtocolType.Udp, [0]));
        table.DeleteFlows(AddressFamily.InterNetwork, ProtocolType.Udp, []);
    }

    private ConntrackTable OpenTable()
    {
        using NetworkNamespace ns = NetworkNamespace.OpenNamed(_node.Name);
        return ConntrackTable.Open(ns);
    }

    // A namespace tracks connections only once a rule needs conntrack.
    private void TrackConnections()
    {
        Shell.Output r = Shell.Run("ip", ["netns", "exec", _node.Name, "nft", "-f", "-"], stdin:
            "table inet cnt_ct {\n chain track {\n  type filter hook input priority 0;\n  ct state new counter accept\n }\n" +
            // The node's answer to a TCP SYN (a RST: nothing listens) would end the entry at once; dropping it before
            // conntrack sees it (priority -300) keeps a TCP entry to the same ports as the UDP ones.
            " chain quiet {\n  type filter hook output priority -300;\n  tcp sport 5000-5010 drop\n }\n}\n");
        Assert.True(r.ExitCode == 0, r.StdErr);
    }

    private void SendUdp(AddressFamily family, (int SourcePort, int DestinationPort)[] flows)
    {
        bool v6 = family == AddressFamily.InterNetworkV6;
        string script =
            "import socket,sys\n" +
            $"fam=socket.AF_INET{(v6 ? "6" : "")}\n" +
            $"dst='{(v6 ? "fd99::1" : "10.99.0.1")}'\n" +
            "for pair in sys.argv[1:]:\n" +
            "    sp,dp=map(int,pair.split(':'))\n" +
            "    s=socket.socket(fam,socket.SOCK_DGRAM)\n" +
            "    s.bind(('',sp))\n" +
            "    s.sendto(b'x',(dst,dp))\n" +
            "    s.close()\n";
        _peer.ExecCheck(["python3", "-c", script, .. flows.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.SourcePort}:{f.DestinationPort}"))]);
    }

    // A TCP connection attempt whose answer the node holds back leaves a TCP entry to the port.
    private void SendTcpSyn(AddressFamily family, int port)
    {
        bool v6 = family == AddressFamily.InterNetworkV6;
        string script =
            "import socket\n" +
            $"s=socket.socket(socket.AF_INET{(v6 ? "6" : "")},socket.SOCK_STREAM)\n" +
            "s.settimeout(0.2)\n" +
            "try:\n" +
            $"    s.connect(('{(v6 ? "fd99::1" : "10.99.0.1")}',{port}))\n" +
            "except OSError:\n" +
            "    pass\n";
        _peer.ExecCheck("python3", "-c", script);
    }

    /// <summary>The original destination ports of the node's entries, sorted, as the conntrack tool lists them.</summary>
    private string[] DestinationPorts(string family, string protocol)
    {
        Shell.Output r = _node.Exec("conntrack", "-L", "-f", family, "-p", protocol);
        Assert.True(r.ExitCode == 0, r.StdErr);
        return r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => ToolTuple().Match(line))
            .Where(m => m.Success)
            .Select(m => m.Groups["dport"].Value)
            .Order(StringComparer.Ordinal).ToArray();
    }

    [GeneratedRegex(@"^\w+\s+(?<num>\d+)\s.*?src=(?<src>\S+) dst=(?<dst>\S+) sport=(?<sport>\d+) dport=(?<dport>\d+)")]
    private static partial Regex ToolTuple();
}
