using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Namespaces;
using Cni.Net.Netfilter;
using Cni.Net.Netfilter.Iptables;
using Cni.Net.Netfilter.NfTables;

namespace Cni.Net.IntegrationTests.Netfilter;

/// <summary>
/// The native nf_tables backend against iptables-nft itself: the same transaction applied by
/// <see cref="IptablesNftBackend"/> in one namespace and by <see cref="NftablesBackend"/> in another must leave the
/// same iptables-nft-save text and the same nf_tables expressions.
/// </summary>
public partial class NftablesBackendTests
{
    internal static readonly NetfilterRule[] s_natShapes =
    [
        new() { Source = IPNetwork.Parse("10.77.0.2/32"), Matches = [NetfilterMatch.Comment("name: \"pm\" id: \"pm1\"")], Target = NetfilterTarget.Jump("CNI-T-B") },
        new() { Destination = IPNetwork.Parse("10.77.0.0/16"), Target = NetfilterTarget.Accept },
        new() { Destination = IPNetwork.Parse("224.0.0.0/4"), DestinationNegated = true, Target = NetfilterTarget.Masquerade },
        new() { Source = IPNetwork.Parse("10.1.16.0/20"), Target = NetfilterTarget.Return },
        new() { Source = IPNetwork.Parse("10.1.0.0/24"), SourceNegated = true, Destination = IPNetwork.Parse("10.2.3.4/31"), Target = NetfilterTarget.Return },
        new() { Source = IPNetwork.Parse("10.0.0.0/8"), Destination = IPNetwork.Parse("10.2.3.0/25"), Target = NetfilterTarget.Return },
        new() { OutInterface = "cni0", Target = NetfilterTarget.Return },
        new() { OutInterface = "br-x1", OutInterfaceNegated = true, Target = NetfilterTarget.Return },
        new() { OutInterface = "veth+", Target = NetfilterTarget.Return },
        new() { Protocol = "tcp", Target = NetfilterTarget.Return },
        new() { Protocol = "udp", ProtocolNegated = true, Target = NetfilterTarget.Return },
        new() { Protocol = "sctp", Target = NetfilterTarget.Return },
        new() { Protocol = "icmp", Target = NetfilterTarget.Return },
        new() { Protocol = "tcp", Matches = [NetfilterMatch.DestinationPort(22, negated: true)], Target = NetfilterTarget.Return },
        new() { Protocol = "tcp", Matches = [new PortMatch(22, 23) { SourceNegated = true, DestinationNegated = true }], Target = NetfilterTarget.Return },
        new() { Protocol = "tcp", Matches = [new PortMatch(22, 23) { SourceNegated = true }], Target = NetfilterTarget.Return },
        new() { Protocol = "udp", Matches = [new PortMatch(new PortRange(1000, 2000), new PortRange(3000, 4000))], Target = NetfilterTarget.Return },
        new() { Protocol = "udp", Matches = [NetfilterMatch.SourcePort(0)], Target = NetfilterTarget.Return },
        new() { Protocol = "sctp", Matches = [NetfilterMatch.DestinationPort(99)], Target = NetfilterTarget.Return },
        new() { Protocol = "sctp", Matches = [new PortMatch(new PortRange(5, 6), 7) { DestinationNegated = true }], Target = NetfilterTarget.Return },
        new() { Protocol = "tcp", Matches = [NetfilterMatch.Comment("dnat name: \"pm\" id: \"pm1\""), NetfilterMatch.DestinationPorts(80, 443, new PortRange(1000, 2000))], Target = NetfilterTarget.Jump("CNI-T-B") },
        new() { Protocol = "udp", Matches = [new MultiportMatch(MultiportDirection.Source, [53])], Target = NetfilterTarget.Jump("CNI-T-B") },
        new() { Protocol = "udp", Matches = [new MultiportMatch(MultiportDirection.Either, [53, 54]) { Negated = true }], Target = NetfilterTarget.Jump("CNI-T-B") },
        new() { Matches = [NetfilterMatch.DestinationType(AddressType.Local)], Target = NetfilterTarget.Jump("CNI-T-B") },
        new() { Matches = [new AddressTypeMatch(AddressType.Local, AddressType.Unicast) { SourceNegated = true, DestinationNegated = true }], Target = NetfilterTarget.Jump("CNI-T-B") },
        new() { Matches = [NetfilterMatch.Mark(0x2000, 0x2000)], Target = NetfilterTarget.Masquerade },
        new() { Matches = [NetfilterMatch.Mark(1, negated: true)], Target = NetfilterTarget.Masquerade },
        new() { Matches = [NetfilterMatch.Comment("CNI portfwd masquerade mark")], Target = NetfilterTarget.SetMark(0x2000, 0x2000) },
        new() { Target = NetfilterTarget.SetMark(5) },
        new() { Protocol = "tcp", Target = NetfilterTarget.Snat(IPAddress.Parse("10.0.0.1"), new PortRange(1000, 2000)) },
        new() { Target = NetfilterTarget.Snat(IPAddress.Parse("10.0.0.1")) },
        new() { Target = NetfilterTarget.Goto("CNI-T-B") },
        new() { Matches = [NetfilterMatch.Comment("counts only")] },
        new() { Matches = [NetfilterMatch.ConntrackState(ConntrackStates.Related | ConntrackStates.Established)], Target = NetfilterTarget.Return },
        new() { Matches = [NetfilterMatch.ConntrackState(ConntrackStates.Dnat | ConntrackStates.Snat | ConntrackStates.New | ConntrackStates.Invalid | ConntrackStates.Untracked, negated: true)], Target = NetfilterTarget.Return },
    ];

    // DNAT belongs to PREROUTING/OUTPUT, so it lives in its own chain jumped from there.
    internal static readonly NetfilterRule[] s_dnatShapes =
    [
        new() { InInterface = "eth0", Target = NetfilterTarget.Return },
        new() { InInterface = "veth+", InInterfaceNegated = true, Target = NetfilterTarget.Return },
        new() { Protocol = "tcp", Matches = [NetfilterMatch.DestinationPort(80)], Target = NetfilterTarget.Dnat(IPAddress.Parse("10.77.0.2"), 8080) },
        new() { Protocol = "udp", Matches = [NetfilterMatch.SourcePort(53)], Target = NetfilterTarget.Dnat(IPAddress.Parse("10.77.0.2")) },
        new() { Protocol = "tcp", Matches = [new PortMatch(new PortRange(1000, 2000), new PortRange(3000, 4000))], Target = NetfilterTarget.Dnat(IPAddress.Parse("10.77.0.2"), new PortRange(5000, 5010)) },
        new() { Source = IPNetwork.Parse("10.77.0.0/16"), Protocol = "tcp", Matches = [NetfilterMatch.DestinationPort(20001)], Target = NetfilterTarget.Jump("CNI-T-B") },
        new() { Protocol = "tcp", Matches = [new PortMatch(10, 81)], Target = NetfilterTarget.Return },
    ];

    internal static readonly NetfilterRule[] s_filterShapes =
    [
        new() { Matches = [NetfilterMatch.ConntrackState(ConntrackStates.Related | ConntrackStates.Established)], Target = NetfilterTarget.Accept },
        new() { InInterface = "eth0", InInterfaceNegated = true, Target = NetfilterTarget.Drop },
        new() { Protocol = "tcp", Matches = [NetfilterMatch.DestinationPort(22, negated: true)], Target = NetfilterTarget.Drop },
        new() { Protocol = "tcp", Matches = [new MultiportMatch(MultiportDirection.Source, [new PortRange(1, 5), 7])], Target = NetfilterTarget.Accept },
        new() { Protocol = "udp", Matches = [NetfilterMatch.SourcePort(new PortRange(1000, 2000)), NetfilterMatch.Comment("a/b")], Target = NetfilterTarget.Accept },
        new() { Source = IPNetwork.Parse("10.0.0.0/8"), SourceNegated = true, OutInterface = "cni+", Target = NetfilterTarget.Goto("CNI-T-B") },
        new() { Protocol = "sctp", ProtocolNegated = true, Matches = [new AddressTypeMatch(AddressType.Local, AddressType.Unicast) { DestinationNegated = true }], Target = NetfilterTarget.Jump("CNI-T-B") },
    ];

    internal static readonly NetfilterRule[] s_nat6Shapes =
    [
        new() { Source = IPNetwork.Parse("fd00::2/128"), Matches = [NetfilterMatch.Comment("name: \"pm\" id: \"pm1\"")], Target = NetfilterTarget.Jump("CNI-T-B") },
        new() { Destination = IPNetwork.Parse("fd00::/64"), Target = NetfilterTarget.Accept },
        new() { Destination = IPNetwork.Parse("ff00::/8"), DestinationNegated = true, Target = NetfilterTarget.Masquerade },
        new() { Source = IPNetwork.Parse("fd00:1::/60"), Target = NetfilterTarget.Return },
        new() { Source = IPNetwork.Parse("fd00:1::/127"), SourceNegated = true, Target = NetfilterTarget.Return },
        new() { Protocol = "tcp", Target = NetfilterTarget.Snat(IPAddress.Parse("fd00::1"), new PortRange(1000, 2000)) },
        new() { Target = NetfilterTarget.Snat(IPAddress.Parse("fd00::1")) },
        new() { Protocol = "ipv6-icmp", Target = NetfilterTarget.Return },
        new() { Matches = [NetfilterMatch.Mark(0x2000, 0x2000)], Target = NetfilterTarget.Masquerade },
        new() { Source = IPNetwork.Parse("::1/128"), Protocol = "tcp", Matches = [NetfilterMatch.DestinationPorts(80)], Target = NetfilterTarget.Return },
    ];

    internal static readonly NetfilterRule[] s_dnat6Shapes =
    [
        new() { Protocol = "tcp", Matches = [NetfilterMatch.DestinationPort(80)], Target = NetfilterTarget.Dnat(IPAddress.Parse("fd00::2"), 8080) },
        new() { Protocol = "tcp", Matches = [NetfilterMatch.DestinationPort(81)], Target = NetfilterTarget.Dnat(IPAddress.Parse("fd00::2")) },
        new() { Protocol = "udp", Matches = [new PortMatch(10, 81)], Target = NetfilterTarget.Return },
        new() { Matches = [NetfilterMatch.DestinationType(AddressType.Local)], Target = NetfilterTarget.Return },
    ];

    internal static NetfilterTransaction EveryShape(AddressFamily family)
    {
        bool v6 = family == AddressFamily.InterNetworkV6;
        var tx = new NetfilterTransaction(family)
            .EnsureChain(NetfilterTable.Nat, "CNI-T-A")
            .EnsureChain(NetfilterTable.Nat, "CNI-T-B")
            .EnsureChain(NetfilterTable.Nat, "CNI-T-D")
            .Append(NetfilterTable.Nat, "POSTROUTING", new NetfilterRule { Target = NetfilterTarget.Jump("CNI-T-A") })
            .Append(NetfilterTable.Nat, "PREROUTING", new NetfilterRule { Matches = [NetfilterMatch.DestinationType(AddressType.Local)], Target = NetfilterTarget.Jump("CNI-T-D") })
            .Append(NetfilterTable.Nat, "OUTPUT", new NetfilterRule { Target = NetfilterTarget.Jump("CNI-T-D") });
        foreach (NetfilterRule r in v6 ? s_nat6Shapes : s_natShapes)
        {
            tx.Append(NetfilterTable.Nat, "CNI-T-A", r);
        }
        foreach (NetfilterRule r in v6 ? s_dnat6Shapes : s_dnatShapes)
        {
            tx.Append(NetfilterTable.Nat, "CNI-T-D", r);
        }
        tx.Insert(NetfilterTable.Nat, "CNI-T-B", 1, new NetfilterRule { Target = NetfilterTarget.Return })
            .Insert(NetfilterTable.Nat, "CNI-T-B", 1, new NetfilterRule { Source = IPNetwork.Parse(v6 ? "fd00::4/128" : "1.2.3.4/32"), Target = NetfilterTarget.Return })
            .Insert(NetfilterTable.Nat, "CNI-T-B", 2, new NetfilterRule { Source = IPNetwork.Parse(v6 ? "fd00::5/128" : "1.2.3.5/32"), Target = NetfilterTarget.Return });
        if (!v6)
        {
            tx.EnsureChain(NetfilterTable.Filter, "CNI-T-B")
                .EnsureChain(NetfilterTable.Filter, "CNI-T-F")
                .Append(NetfilterTable.Filter, "FORWARD", new NetfilterRule { Target = NetfilterTarget.Jump("CNI-T-F") })
                .SetPolicy(NetfilterTable.Filter, "FORWARD", NetfilterVerdict.Drop)
                .EnsureChain(NetfilterTable.Mangle, "CNI-T-M")
                .Append(NetfilterTable.Mangle, "CNI-T-M", new NetfilterRule { Target = NetfilterTarget.SetMark(5) })
                .Append(NetfilterTable.Mangle, "OUTPUT", new NetfilterRule { Target = NetfilterTarget.Jump("CNI-T-M") });
            foreach (NetfilterRule r in s_filterShapes)
            {
                tx.Append(NetfilterTable.Filter, "CNI-T-F", r);
            }
        }
        return tx;
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task Apply_EveryRuleShape_SameSaveTextAndSameExpressionsAsIptablesNft(AddressFamily family)
    {
        Require.NotInRootNamespace();
        using var viaTool = new TestNamespace("nftt");
        using var viaNative = new TestNamespace("nftn");
        NetfilterTransaction tx = EveryShape(family);
        await ToolBackend(viaTool).ApplyAsync(tx, TestContext.Current.CancellationToken);
        ApplyNative(viaNative, new NftablesBackend(), tx);
        bool v6 = family == AddressFamily.InterNetworkV6;
        foreach (string table in v6 ? new[] { "nat" } : ["nat", "filter", "mangle"])
        {
            Assert.Equal(Save(viaTool, table, v6), Save(viaNative, table, v6));
            Assert.Equal(Expressions(viaTool, v6 ? "ip6" : "ip", table), Expressions(viaNative, v6 ? "ip6" : "ip", table));
        }
        // Not two empty listings: every shape is there.
        string saved = Save(viaNative, "nat", v6);
        Assert.Equal((v6 ? s_nat6Shapes.Length : s_natShapes.Length) + (v6 ? s_dnat6Shapes.Length : s_dnatShapes.Length) + 6,
            saved.Split('\n').Count(l => l.StartsWith("-A ", StringComparison.Ordinal)));
        string expressions = Expressions(viaNative, v6 ? "ip6" : "ip", "nat");
        Assert.Contains("CNI-T-D:\nrule\n", expressions, StringComparison.Ordinal);
        Assert.Contains("[ target name DNAT rev 2 ]", expressions, StringComparison.Ordinal);
        Assert.Contains("[ match name comment rev 0 ]", expressions, StringComparison.Ordinal);
    }

    [Fact]
    public void Backends_ShareAFewKeptSockets_AndPinNoNamespaceForLong()
    {
        // A long-lived host makes a backend per pod and never disposes it (the type is not IDisposable): sockets are
        // the process's, kept between calls (closing one after a delete waits for nf_tables' grace period), a few per
        // namespace for the last few namespaces used, so neither descriptors nor dead namespaces pile up.
        Require.NotInRootNamespace();
        NetfilterTransaction tx = new(AddressFamily.InterNetwork);
        tx.EnsureChain(NetfilterTable.Nat, "CNI-FD-TEST");
        NetfilterTransaction delete = new(AddressFamily.InterNetwork);
        delete.DeleteChain(NetfilterTable.Nat, "CNI-FD-TEST");
        var backends = new List<NftablesBackend>();
        int before = SocketDescriptors();
        for (int n = 0; n < NfnetlinkSocketPool.MaxNamespaces + 2; n++)
        {
            using var ns = new TestNamespace($"nftfd{n}");
            for (int i = 0; i < 8; i++)
            {
                var backend = new NftablesBackend();
                backends.Add(backend);
                ApplyNative(ns, backend, tx);
                InNamespace(ns, () => backend.ReadTableAsync(AddressFamily.InterNetwork, NetfilterTable.Nat, CancellationToken.None).AsTask().GetAwaiter().GetResult());
                Assert.Contains(":CNI-FD-TEST -", Save(ns, "nat", v6: false), StringComparison.Ordinal);
                ApplyNative(ns, backend, delete);
                Assert.DoesNotContain("CNI-FD-TEST", Save(ns, "nat", v6: false), StringComparison.Ordinal);
            }
            // One call at a time in a namespace: one socket serves them all.
            (int sockets, int namespaces) = NfnetlinkSocketPool.Count();
            Assert.True(namespaces <= NfnetlinkSocketPool.MaxNamespaces, $"{namespaces} namespaces keep sockets");
            Assert.True(SocketDescriptors() - before <= Math.Min(n + 1, NfnetlinkSocketPool.MaxNamespaces),
                $"{SocketDescriptors() - before} more socket descriptors after {n + 1} namespaces ({sockets} kept)");
        }
        GC.KeepAlive(backends);
    }

    // Sockets this process holds (the backend's are netlink sockets in the test namespace, which /proc/self/net of this
    // thread's namespace would not list, so every socket descriptor counts).
    private static int SocketDescriptors() => Directory.EnumerateFileSystemEntries("/proc/self/fd")
        .Select(fd => { try { return File.ResolveLinkTarget(fd, false)?.FullName ?? ""; } catch (IOException) { return ""; } })
        .Count(target => target.Contains("socket:[", StringComparison.Ordinal));

    /// <summary>
    /// An <see cref="IptablesNftBackend"/> whose tools run inside <paramref name="ns"/> (through <c>ip netns exec</c>
    /// wrappers: the backend's awaits may move it off any thread that entered the namespace). The wrappers live in the
/// namespace's scratch directory and go with it.
    /// </summary>
    internal static IptablesNftBackend ToolBackend(TestNamespace ns)
    {
        string dir = ns.ScratchDirectory;
        string Wrap(string tool)
        {
            string path = Path.Combine(dir, tool);
            File.WriteAllText(path, $"#!/bin/sh\nexec ip netns exec {ns.Name} {tool} \"$@\"\n");
            Shell.Check("chmod", "700", path);
            return path;
        }
        return new IptablesNftBackend(new IptablesNftBackendOptions
        {
            IptablesPath = Wrap("iptables"),
            IptablesRestorePath = Wrap("iptables-nft-restore"),
            Ip6tablesRestorePath = Wrap("ip6tables-nft-restore"),
            IptablesSavePath = Wrap("iptables-nft-save"),
            Ip6tablesSavePath = Wrap("ip6tables-nft-save"),
        });
    }

    /// <summary>Applies natively from a thread inside <paramref name="ns"/> (the native backend is synchronous).</summary>
    internal static void ApplyNative(TestNamespace ns, NftablesBackend backend, NetfilterTransaction tx) =>
        InNamespace(ns, () =>
        {
            ValueTask pending = backend.ApplyAsync(tx, CancellationToken.None);
            if (!pending.IsCompleted)
            {
                throw new InvalidOperationException("the native backend went asynchronous (legacy check?)");
            }
            pending.GetAwaiter().GetResult();
        });

    internal static void InNamespace(TestNamespace ns, Action action)
    {
        using NetworkNamespace n = NetworkNamespace.Open(ns.Path);
        n.Run(action);
    }

    internal static T InNamespace<T>(TestNamespace ns, Func<T> func)
    {
        using NetworkNamespace n = NetworkNamespace.Open(ns.Path);
        return n.Run(func);
    }

    internal static string Save(TestNamespace ns, string table, bool v6) =>
        string.Concat(ns.ExecCheck(v6 ? "ip6tables-nft-save" : "iptables-nft-save", "-t", table)
            .Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l + "\n"));

    /// <summary>
    /// <c>nft --debug=netlink list table</c>: each rule's expressions, without handles, positions and counter values;
    /// rules grouped per chain in chain-name order (the order chains were created in is not part of the state).
    /// </summary>
    internal static string Expressions(TestNamespace ns, string family, string table)
    {
        string text = ns.ExecCheck("nft", "--debug=netlink", "list", "table", family, table);
        var chains = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        List<string>? current = null;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd();
            if (line.StartsWith("table ", StringComparison.Ordinal))
            {
                break; // the listing after the expressions
            }
            Match header = RuleHeader().Match(line);
            if (header.Success)
            {
                string chain = header.Groups[1].Value;
                if (!chains.TryGetValue(chain, out current))
                {
                    chains[chain] = current = [];
                }
                current.Add("rule");
                continue;
            }
            if (line.StartsWith("  [", StringComparison.Ordinal) && current is not null)
            {
                current.Add(CounterValues().Replace(line, "counter"));
            }
        }
        return string.Join("\n", chains.Select(c => c.Key + ":\n" + string.Join("\n", c.Value)));
    }

    [GeneratedRegex(@"^ip6? \S+ (\S+) \d+( \d+)?$")]
    private static partial Regex RuleHeader();

    [GeneratedRegex(@"counter pkts \d+ bytes \d+")]
    private static partial Regex CounterValues();
}
