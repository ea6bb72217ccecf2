using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Plugins.Parity;

/// <summary>
/// Everything a runtime (or an admin) can read back after a chain ran, as one canonical text to compare line by line:
/// every sysctl under <c>/proc/sys/net</c> of the node and of each pod, every link with its details (<c>ip -d -j
/// link</c> + <c>addr_assign_type</c>: mtu, flags, promiscuity, hairpin and the other bridge-port flags, address
/// generation mode, MAC roles), the bridge's forwarding database, addresses, routes (main and local tables) and all
/// iptables-nft tables of both families. Only what must differ between two runs is rewritten: host veth names
/// (by the pod they serve), MAC addresses (by the first interface holding them: whether the bridge has its own MAC
/// or a port's still shows) and the sandbox paths in results.
/// </summary>
internal sealed partial class ObservableState
{
    private const string PortMac = "a port's MAC";

    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);

    /// <summary>The <c>num_tx_queues</c> of every veth end captured, node and pods.</summary>
    public List<int> VethTransmitQueues { get; } = [];
    private readonly Dictionary<string, string> _macs = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The pods with the host veth name each got (from its bridge result); the order gives their labels.</summary>
    public ObservableState(ChainNode node, IReadOnlyList<(TestNamespace Pod, string HostVeth)> pods)
    {
        for (int i = 0; i < pods.Count; i++)
        {
            string pod = ((char)('A' + i)).ToString();
            _names[pods[i].HostVeth] = "veth" + pod;
            _names[pods[i].Pod.Path] = "POD-" + pod;
            Label(Mac(node.Node, pods[i].HostVeth), "veth" + pod);
            Label(Mac(pods[i].Pod, "eth0"), "eth0" + pod);
        }
        // A bridge that was never given a MAC takes the lowest of its ports' (which one is chance); one given its own
        // keeps it. Only that distinction is kept: see BridgeMac.
        Label(Mac(node.Node, ChainNode.Bridge), "bridge");
    }

    public string Capture(ChainNode node, IReadOnlyList<TestNamespace> pods)
    {
        Settle(node, pods);
        var s = new StringBuilder();
        Section(s, "node sysctls", Sysctls(node.Node));
        Section(s, "node links", Links(node.Node));
        // The bridge's own (permanent, master) entries: one per port address, one for the bridge's address when it
        // has one of its own. Learned entries depend on traffic timing, 33:33:ff:… ones on random link-local addresses.
        Section(s, "node fdb", Lines(Normalize(node.Node.ExecCheck("bridge", "fdb", "show")))
            .Where(l => l.Contains($"master {ChainNode.Bridge} permanent", StringComparison.Ordinal)));
        Section(s, "node addresses", Addresses(node.Node));
        Section(s, "node routes", Routes(node.Node));
        Section(s, "iptables", Tables(node.Node, "iptables-nft-save"));
        Section(s, "ip6tables", Tables(node.Node, "ip6tables-nft-save"));
        Section(s, "nftables (other than iptables-nft's)", NativeTables(node.Node));
        for (int i = 0; i < pods.Count; i++)
        {
            string p = "pod " + (char)('A' + i);
            Section(s, p + " sysctls", Sysctls(pods[i]));
            Section(s, p + " links", Links(pods[i]));
            Section(s, p + " addresses", Addresses(pods[i]));
            Section(s, p + " routes", Routes(pods[i]));
        }
        return s.ToString();
    }

    /// <summary>
    /// Waits for what the kernel finishes after the plugins exit: the bridge's carrier follows its ports through the
    /// link watcher (up to a second late when it goes down), and IPv6 addresses stay tentative while DAD runs.
    /// </summary>
    private static void Settle(ChainNode node, IReadOnlyList<TestNamespace> pods)
    {
        for (int i = 0; i < 50; i++)
        {
            bool ports = node.Node.IpJson("link", "show", "master", ChainNode.Bridge).GetArrayLength() > 0;
            System.Text.Json.JsonElement bridge = node.Node.IpJson("link", "show", "dev", ChainNode.Bridge)[0];
            bool settled = bridge.GetProperty("operstate").GetString() == (ports ? "UP" : "DOWN") &&
                !pods.Append(node.Node).Any(ns => ns.ExecCheck("ip", "-j", "addr", "show").Contains("\"tentative\":true", StringComparison.Ordinal));
            if (settled)
            {
                return;
            }
            Thread.Sleep(100);
        }
    }

    /// <summary>A plugin result with names, MACs and sandboxes by role; an empty <c>dns</c> object dropped.</summary>
    public string Result(JsonObject result)
    {
        JsonObject r = result.DeepClone().AsObject();
        // Reference 1.1.1 prints "dns":{} for no DNS; ours omits the key. A reader gets the same empty DNS either way.
        if (r["dns"] is JsonObject { Count: 0 })
        {
            r.Remove("dns");
        }
        foreach (JsonNode? i in r["interfaces"]?.AsArray() ?? [])
        {
            if (i!["name"]?.GetValue<string>() == ChainNode.Bridge && i["mac"] is JsonNode mac)
            {
                i["mac"] = BridgeMac(mac.GetValue<string>());
            }
        }
        return Normalize(r.ToJsonString());
    }

    /// <summary>The bridge's MAC: its own (labelled) or, when it is one of its ports' addresses, just that.</summary>
    private string BridgeMac(string mac) =>
        _macs.TryGetValue(mac, out string? label) && label != "mac:bridge" ? PortMac : mac;

    private void Label(string? mac, string role)
    {
        if (mac is not null)
        {
            _macs.TryAdd(mac, "mac:" + role);
        }
    }

    private static string? Mac(TestNamespace ns, string ifName) =>
        ns.IpJson("link", "show", "dev", ifName)[0].TryGetProperty("address", out var a) ? a.GetString() : null;

    private string Normalize(string text)
    {
        foreach (var (name, label) in _names)
        {
            text = text.Replace(name, label, StringComparison.Ordinal);
        }
        return MacPattern().Replace(text, m => _macs.TryGetValue(m.Value, out string? label) ? label : m.Value);
    }

    private static void Section(StringBuilder s, string title, IEnumerable<string> lines)
    {
        s.Append("# ").AppendLine(title);
        foreach (string line in lines)
        {
            s.AppendLine(line);
        }
    }

    private static List<string> Lines(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal)];

    private List<string> Sysctls(TestNamespace ns)
    {
        // grep prints path:value for every readable, non-empty sysctl; unreadable ones (stable_secret) are skipped.
        string text = ns.Exec("grep", "-rs", ".", "/proc/sys/net").StdOut;
        return [.. Lines(Normalize(text)).Where(l => !l.StartsWith("/proc/sys/net/netfilter/nf_conntrack_count:", StringComparison.Ordinal))];
    }

    private List<string> Links(TestNamespace ns)
    {
        var lines = new List<string>();
        foreach (JsonNode? l in JsonNode.Parse(ns.ExecCheck("ip", "-d", "-j", "link", "show"))!.AsArray())
        {
            JsonObject link = l!.AsObject();
            string name = link["ifname"]!.GetValue<string>();
            // Indexes and peer references depend on creation order and namespace ids. txqlen: reference 1.1.1 creates
            // veths with a queue length of 0 (a zero LinkAttrs in vishvananda/netlink), a defect v1.9.1 fixed
            // (NewLinkAttrs: the kernel's default, 1000), which we keep — tested in ReferenceParityTests.
            foreach (string key in (ReadOnlySpan<string>)["ifindex", "link", "link_index", "link_netnsid", "txqlen"])
            {
                link.Remove(key);
            }
            // A veth's transmit queues differ on purpose (ours are made with the one queue used, the reference's with
            // the kernel's one per possible CPU): collected for ReferenceParityTests to assert, not compared here.
            if (link["linkinfo"]?["info_kind"]?.GetValue<string>() == "veth" && link["num_tx_queues"] is JsonNode queues)
            {
                VethTransmitQueues.Add(queues.GetValue<int>());
                link.Remove("num_tx_queues");
            }
            if (link["linkinfo"] is JsonObject info)
            {
                RemoveDerived(info["info_data"] as JsonObject);
                RemoveDerived(info["info_slave_data"] as JsonObject);
            }
            if (name == ChainNode.Bridge && link["address"] is JsonNode address)
            {
                link["address"] = BridgeMac(address.GetValue<string>());
            }
            link["addr_assign_type"] = ns.Exec("cat", $"/sys/class/net/{name}/addr_assign_type").StdOut.Trim();
            lines.Add(Normalize(link.ToJsonString()));
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    // Running timers, and the STP identifiers that embed the bridge's MAC (compared on its own, see BridgeMac).
    private static void RemoveDerived(JsonObject? data)
    {
        if (data is null)
        {
            return;
        }
        foreach (string key in data.Select(kv => kv.Key)
            .Where(k => k.EndsWith("_timer", StringComparison.Ordinal) || k is "bridge_id" or "root_id" or "designated_root" or "designated_bridge").ToList())
        {
            data.Remove(key);
        }
    }

    private List<string> Addresses(TestNamespace ns)
    {
        var lines = new List<string>();
        foreach (JsonNode? l in JsonNode.Parse(ns.ExecCheck("ip", "-j", "addr", "show"))!.AsArray())
        {
            foreach (JsonNode? a in l!["addr_info"]!.AsArray())
            {
                // Link-local IPv6 addresses derive from the random MACs (their generation mode is in the links).
                if (a!["scope"]!.GetValue<string>() == "link" && a["family"]!.GetValue<string>() == "inet6")
                {
                    continue;
                }
                lines.Add(Normalize(l["ifname"]!.GetValue<string>() + " " + a.ToJsonString()));
            }
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private List<string> Routes(TestNamespace ns)
    {
        var lines = new List<string>();
        foreach (string family in (ReadOnlySpan<string>)["-4", "-6"])
        {
            foreach (string table in (ReadOnlySpan<string>)["main", "local"])
            {
                foreach (JsonNode? r in JsonNode.Parse(ns.ExecCheck("ip", "-j", family, "route", "show", "table", table))!.AsArray())
                {
                    string dst = r!["dst"]?.GetValue<string>() ?? "";
                    // The local route of each link-local address (random, see Addresses).
                    if (table == "local" && dst.StartsWith("fe80::", StringComparison.Ordinal))
                    {
                        continue;
                    }
                    lines.Add(Normalize(table + " " + r.ToJsonString()));
                }
            }
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static List<string> Tables(TestNamespace ns, string tool)
    {
        // A table holding nothing but its built-in chains is the same to the kernel as no table: reference 1.1.1's
        // DEL leaves an empty ip6 nat table behind (it flushes a chain it never created), ours does not.
        var lines = new List<string>();
        List<string> table = [];
        foreach (string line in ns.ExecCheck(tool).Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            table.Add(line);
            if (line == "COMMIT")
            {
                bool empty = table.All(t => t.StartsWith('*') || t == "COMMIT" || BuiltinChain().IsMatch(t));
                if (!empty)
                {
                    lines.AddRange(table);
                }
                table = [];
            }
        }
        return lines;
    }

    private List<string> NativeTables(TestNamespace ns)
    {
        // iptables-nft keeps its tables in the ip and ip6 families (compared above, as iptables sees them); anything
        // else — the bridge family table of macspoofchk — is listed as nft sees it, without counters.
        var lines = new List<string>();
        foreach (string table in Lines(ns.ExecCheck("nft", "list", "tables")))
        {
            string[] parts = table.Split(' ');
            if (parts.Length == 3 && parts[1] is not ("ip" or "ip6"))
            {
                lines.AddRange(ns.ExecCheck("nft", "-s", "list", "table", parts[1], parts[2]).Split('\n')
                    .Where(l => l.Trim().Length > 0).Select(l => Normalize(l.TrimEnd())));
            }
        }
        return lines;
    }

    [GeneratedRegex("(?<![0-9a-fA-F:])[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}(?![0-9a-fA-F:])")]
    private static partial Regex MacPattern();

    [GeneratedRegex(@"^:(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) ACCEPT \[\d+:\d+\]$")]
    private static partial Regex BuiltinChain();
}
