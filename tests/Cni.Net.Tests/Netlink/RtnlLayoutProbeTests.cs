using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Cni.Net.Netlink;
using Cni.Net.Interop;
using Cni.Net.Netlink.Route;

namespace Cni.Net.Tests.Netlink;

/// <summary>
/// Compiles a C probe against the kernel's uapi headers and compares every constant, struct size and field offset
/// that the C# code hard-codes.
/// </summary>
public class RtnlLayoutProbeTests
{
    private static readonly Type[] s_constantClasses =
    [
        typeof(Ifla), typeof(Ifa), typeof(Rta), typeof(Nda), typeof(Netconfa), typeof(AddressFamilies), typeof(Syscalls),
    ];

    // C# members whose C spelling differs, and members that are not C names at all.
    private static readonly Dictionary<string, string> s_renamed = new()
    {
        ["NetlinkLayout.MessageHeaderSize"] = "sizeof(struct nlmsghdr)",
        ["NetlinkLayout.AttributeHeaderSize"] = "sizeof(struct nlattr)",
        ["NetlinkLayout.Alignment"] = "NLA_ALIGNTO",
        ["NetlinkLayout.NestedFlag"] = "NLA_F_NESTED",
        ["NetlinkLayout.NetByteOrderFlag"] = "NLA_F_NET_BYTEORDER",
        ["NetlinkLayout.AttributeTypeMask"] = "(__u16)NLA_TYPE_MASK",
        ["Rta.RtNextHopSize"] = "sizeof(struct rtnexthop)",
        ["Syscalls.StatxSize"] = "sizeof(struct statx)",
        ["Syscalls.StatxInoOffset"] = "offsetof(struct statx, stx_ino)",
        ["Syscalls.StatxDevMajorOffset"] = "offsetof(struct statx, stx_dev_major)",
        ["Syscalls.StatxDevMinorOffset"] = "offsetof(struct statx, stx_dev_minor)",
        ["Syscalls.NS_GET_NSTYPE"] = "NS_GET_NSTYPE",
        ["Syscalls.IfReqSize"] = "sizeof(struct ifreq)",
        ["Syscalls.IfReqFlagsOffset"] = "offsetof(struct ifreq, ifr_flags)",
        ["Errno.ENOTSUP"] = "ENOTSUP",
        ["Ifa.INFINITY_LIFE_TIME"] = "0xFFFFFFFFu", // kernel-internal (net/addrconf.h); uapi documents all-ones as forever
    };

    private static readonly (Type Enum, Func<string, string> CName)[] s_enums =
    [
        (typeof(RouteMessageType), n => "RTM_" + n.ToUpperInvariant() switch
        {
            "DELETELINK" => "DELLINK", "DELETEADDRESS" => "DELADDR", "NEWADDRESS" => "NEWADDR", "GETADDRESS" => "GETADDR",
            "DELETEROUTE" => "DELROUTE", "NEWNEIGHBOR" => "NEWNEIGH", "DELETENEIGHBOR" => "DELNEIGH", "GETNEIGHBOR" => "GETNEIGH",
            "DELETERULE" => "DELRULE", "DELETEQDISC" => "DELQDISC", "NEWTRAFFICCLASS" => "NEWTCLASS", "DELETETRAFFICCLASS" => "DELTCLASS",
            "GETTRAFFICCLASS" => "GETTCLASS", "NEWTRAFFICFILTER" => "NEWTFILTER", "DELETETRAFFICFILTER" => "DELTFILTER",
            "GETTRAFFICFILTER" => "GETTFILTER", "DELETEACTION" => "DELACTION", "NEWNAMESPACEID" => "NEWNSID",
            "DELETENAMESPACEID" => "DELNSID", "GETNAMESPACEID" => "GETNSID", "DELETECHAIN" => "DELCHAIN", var x => x,
        }),
        (typeof(InterfaceFlags), n => n switch
        {
            "None" => "0", "PointToPoint" => "IFF_POINTOPOINT", "NoTrailers" => "IFF_NOTRAILERS", "NoArp" => "IFF_NOARP",
            "Promiscuous" => "IFF_PROMISC", "AllMulticast" => "IFF_ALLMULTI", "PortSelect" => "IFF_PORTSEL",
            "AutoMedia" => "IFF_AUTOMEDIA", "LowerUp" => "IFF_LOWER_UP", var x => "IFF_" + x.ToUpperInvariant(),
        }),
        (typeof(OperationalState), n => "IF_OPER_" + n.ToUpperInvariant() switch { var x => x }),
        (typeof(AddressFlags), n => n switch
        {
            "None" => "0", "NoDad" => "IFA_F_NODAD", "DadFailed" => "IFA_F_DADFAILED", "HomeAddress" => "IFA_F_HOMEADDRESS",
            "ManageTempAddress" => "IFA_F_MANAGETEMPADDR", "NoPrefixRoute" => "IFA_F_NOPREFIXROUTE",
            "MulticastAutoJoin" => "IFA_F_MCAUTOJOIN", "StablePrivacy" => "IFA_F_STABLE_PRIVACY", var x => "IFA_F_" + x.ToUpperInvariant(),
        }),
        (typeof(RouteScope), n => "RT_SCOPE_" + n.ToUpperInvariant()),
        (typeof(RouteType), n => n == "Unspecified" ? "RTN_UNSPEC" : "RTN_" + n.ToUpperInvariant()),
        (typeof(RouteProtocol), n => n switch { "Unspecified" => "RTPROT_UNSPEC", "RouterAdvertisement" => "RTPROT_RA", var x => "RTPROT_" + x.ToUpperInvariant() }),
        (typeof(NeighborStates), n => "NUD_" + n.ToUpperInvariant()),
        (typeof(NeighborFlags), n => n switch { "None" => "0", "ExternallyLearned" => "NTF_EXT_LEARNED", var x => "NTF_" + x.ToUpperInvariant() }),
        (typeof(MacvlanMode), n => "MACVLAN_MODE_" + n.ToUpperInvariant()),
        (typeof(IpvlanMode), n => "IPVLAN_MODE_" + n.ToUpperInvariant()),
    ];

    private static readonly (Type Type, string CStruct, string[] Fields)[] s_structs =
    [
        (typeof(InterfaceInfoMessage), "ifinfomsg", ["ifi_family", "", "ifi_type", "ifi_index", "ifi_flags", "ifi_change"]),
        (typeof(InterfaceAddressMessage), "ifaddrmsg", ["ifa_family", "ifa_prefixlen", "ifa_flags", "ifa_scope", "ifa_index"]),
        (typeof(RouteMessage), "rtmsg", ["rtm_family", "rtm_dst_len", "rtm_src_len", "rtm_tos", "rtm_table", "rtm_protocol", "rtm_scope", "rtm_type", "rtm_flags"]),
        (typeof(NeighborMessage), "ndmsg", ["ndm_family", "ndm_pad1", "ndm_pad2", "ndm_ifindex", "ndm_state", "ndm_flags", "ndm_type"]),
        (typeof(TrafficControlMessage), "tcmsg", ["tcm_family", "tcm__pad1", "tcm__pad2", "tcm_ifindex", "tcm_handle", "tcm_parent", "tcm_info"]),
        (typeof(Syscalls.sockaddr_nl), "sockaddr_nl", ["nl_family", "nl_pad", "nl_pid", "nl_groups"]),
    ];

    [Fact]
    public void ConstantsAndLayouts_MatchKernelHeaders()
    {
        var expected = new List<(string What, string CExpr, long Value)>();
        foreach (Type t in s_constantClasses.Append(typeof(NetlinkLayout)).Append(typeof(Errno)))
        {
            foreach (FieldInfo f in t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static).Where(f => f.IsLiteral))
            {
                string key = t.Name + "." + f.Name;
                string cexpr = s_renamed.TryGetValue(key, out string? r) ? r : f.Name;
                expected.Add((key, cexpr, Convert.ToInt64(f.GetRawConstantValue(), CultureInfo.InvariantCulture)));
            }
        }
        foreach ((Type e, Func<string, string> cname) in s_enums)
        {
            foreach (string n in Enum.GetNames(e))
            {
                expected.Add((e.Name + "." + n, cname(n), Convert.ToInt64(Enum.Parse(e, n), CultureInfo.InvariantCulture)));
            }
        }
        foreach ((Type type, string cstruct, string[] fields) in s_structs)
        {
            expected.Add((type.Name + " size", $"sizeof(struct {cstruct})", Marshal.SizeOf(type)));
            FieldInfo[] managed = type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            Assert.Equal(fields.Length, managed.Length);
            for (int i = 0; i < fields.Length; i++)
            {
                if (fields[i].Length == 0)
                {
                    continue; // ifinfomsg's unnamed pad byte
                }
                expected.Add(($"{type.Name}.{managed[i].Name} offset", $"offsetof(struct {cstruct}, {fields[i]})", Marshal.OffsetOf(type, managed[i].Name).ToInt64()));
            }
        }

        Dictionary<string, long> actual = RunProbe(expected.Select(e => e.CExpr).Distinct().ToList());
        var mismatches = expected.Where(e => actual[e.CExpr] != e.Value)
            .Select(e => $"{e.What}: C# {e.Value}, C {e.CExpr} = {actual[e.CExpr]}").ToList();
        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
        Assert.True(expected.Count > 250, $"only {expected.Count} values compared");
    }

    private static Dictionary<string, long> RunProbe(List<string> expressions)
    {
        string dir = Directory.CreateTempSubdirectory("cni-rtnl-probe").FullName;
        try
        {
            var c = new StringBuilder();
            c.AppendLine("#define _GNU_SOURCE");
            foreach (string h in new[] { "stdio.h", "stddef.h", "errno.h", "fcntl.h", "sched.h", "sys/mount.h", "sys/stat.h", "sys/socket.h",
                "linux/netlink.h", "linux/rtnetlink.h", "linux/if.h", "linux/if_link.h", "linux/if_addr.h", "linux/neighbour.h",
                "linux/ip.h", "linux/ipv6.h", "linux/netconf.h", "linux/veth.h", "linux/nsfs.h", "linux/pkt_sched.h", "linux/if_tun.h", "linux/sockios.h", "sys/eventfd.h" })
            {
                c.AppendLine(CultureInfo.InvariantCulture, $"#include <{h}>");
            }
            c.AppendLine("int main(void) {");
            for (int i = 0; i < expressions.Count; i++)
            {
                c.AppendLine(CultureInfo.InvariantCulture, $"  printf(\"%d %lld\\n\", {i}, (long long)({expressions[i]}));");
            }
            c.AppendLine("  return 0;\n}");
            File.WriteAllText(Path.Combine(dir, "probe.c"), c.ToString());
            Run("gcc", dir, "-o", "probe", "probe.c");
            string output = Run(Path.Combine(dir, "probe"), dir);
            var result = new Dictionary<string, long>();
            foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                string[] parts = line.Split(' ');
                result[expressions[int.Parse(parts[0], CultureInfo.InvariantCulture)]] = long.Parse(parts[1], CultureInfo.InvariantCulture);
            }
            return result;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Run(string file, string dir, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} failed: {stderr}");
        return stdout.Result;
    }
}
