using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.Iptables;

/// <summary>
/// Renders the model as iptables-restore text, byte for byte what <c>iptables-save</c> (1.8, nf_tables) prints for
/// the same rule, so that rules written by the reference plugins and by Cni.Net compare equal.
/// </summary>
internal static class IptablesRuleFormatter
{
    // Characters iptables-save prints without quotes (xtables_save_string); anything else is quoted.
    private const string BareChars = "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    /// <summary>The rule specification after <c>-A CHAIN</c>.</summary>
    public static string FormatSpec(NetfilterRule rule)
    {
        var sb = new StringBuilder(96);
        AppendSpec(sb, rule);
        return sb.ToString();
    }

    /// <summary>Appends the rule specification; the first token is not preceded by a space.</summary>
    public static void AppendSpec(StringBuilder sb, NetfilterRule rule)
    {
        int start = sb.Length;
        if (rule.Source is IPNetwork s)
        {
            Option(sb, rule.SourceNegated, "-s", s.ToString());
        }
        if (rule.Destination is IPNetwork d)
        {
            Option(sb, rule.DestinationNegated, "-d", d.ToString());
        }
        if (rule.InInterface is not null)
        {
            Option(sb, rule.InInterfaceNegated, "-i", rule.InInterface);
        }
        if (rule.OutInterface is not null)
        {
            Option(sb, rule.OutInterfaceNegated, "-o", rule.OutInterface);
        }
        if (rule.Protocol is not null)
        {
            Option(sb, rule.ProtocolNegated, "-p", rule.Protocol);
        }
        foreach (NetfilterMatch m in rule.Matches)
        {
            AppendMatch(sb, rule, m);
        }
        if (rule.Target is not null)
        {
            AppendTarget(sb, rule.Target);
        }
        if (sb.Length > start && sb[start] == ' ')
        {
            sb.Remove(start, 1);
        }
    }

    private static void AppendMatch(StringBuilder sb, NetfilterRule rule, NetfilterMatch match)
    {
        switch (match)
        {
            case PortMatch p:
                sb.Append(" -m ").Append(rule.Protocol);
                if (p.Source is PortRange sp)
                {
                    Option(sb, p.SourceNegated, "--sport", sp.ToString());
                }
                if (p.Destination is PortRange dp)
                {
                    Option(sb, p.DestinationNegated, "--dport", dp.ToString());
                }
                break;
            case MultiportMatch mp:
                sb.Append(" -m multiport");
                string flag = mp.Direction switch
                {
                    MultiportDirection.Source => "--sports",
                    MultiportDirection.Destination => "--dports",
                    _ => "--ports",
                };
                Option(sb, mp.Negated, flag, string.Join(',', mp.Ports));
                break;
            case AddressTypeMatch a:
                sb.Append(" -m addrtype");
                if (a.Source is AddressType st)
                {
                    Option(sb, a.SourceNegated, "--src-type", AddressTypeName(st));
                }
                if (a.Destination is AddressType dt)
                {
                    Option(sb, a.DestinationNegated, "--dst-type", AddressTypeName(dt));
                }
                break;
            case ConntrackStateMatch c:
                sb.Append(" -m conntrack");
                Option(sb, c.Negated, "--ctstate", ConntrackStateNames(c.States));
                break;
            case MarkMatch mk:
                sb.Append(" -m mark");
                Option(sb, mk.Negated, "--mark", Mark(mk.Value, mk.Mask, omitFullMask: true));
                break;
            case CommentMatch cm:
                sb.Append(" -m comment --comment ");
                AppendQuoted(sb, cm.Text);
                break;
            case UndecodedMatch u:
                sb.Append(" -m nft --undecoded ");
                AppendQuoted(sb, u.Description);
                break;
            case OtherMatch o:
                sb.Append(" -m ").Append(o.Module);
                foreach (string arg in o.Arguments)
                {
                    sb.Append(' ');
                    AppendArgument(sb, arg);
                }
                break;
            default:
                throw new ArgumentException($"unsupported match {match.GetType().Name}", nameof(match));
        }
    }

    private static void AppendTarget(StringBuilder sb, NetfilterTarget target)
    {
        switch (target)
        {
            case VerdictTarget v:
                sb.Append(" -j ").Append(VerdictName(v.Verdict));
                break;
            case JumpTarget j:
                sb.Append(" -j ").Append(j.Chain);
                break;
            case GotoTarget g:
                sb.Append(" -g ").Append(g.Chain);
                break;
            case MasqueradeTarget:
                sb.Append(" -j MASQUERADE");
                break;
            case DnatTarget dn:
                sb.Append(" -j DNAT --to-destination ").Append(NatAddress(dn.Address, dn.Port));
                break;
            case SnatTarget sn:
                sb.Append(" -j SNAT --to-source ").Append(NatAddress(sn.Address, sn.Port));
                break;
            case MarkTarget m:
                sb.Append(" -j MARK --set-xmark ").Append(Mark(m.Value, m.Mask, omitFullMask: false));
                break;
            case OtherTarget o:
                sb.Append(" -j ").Append(o.Name);
                foreach (string arg in o.Arguments)
                {
                    sb.Append(' ');
                    AppendArgument(sb, arg);
                }
                break;
            default:
                throw new ArgumentException($"unsupported target {target.GetType().Name}", nameof(target));
        }
    }

    private static void Option(StringBuilder sb, bool negated, string flag, string value)
    {
        sb.Append(negated ? " ! " : " ").Append(flag).Append(' ').Append(value);
    }

    internal static string VerdictName(NetfilterVerdict verdict) => verdict switch
    {
        NetfilterVerdict.Accept => "ACCEPT",
        NetfilterVerdict.Drop => "DROP",
        NetfilterVerdict.Return => "RETURN",
        _ => throw new ArgumentOutOfRangeException(nameof(verdict), verdict, "unknown verdict"),
    };

    internal static string Mark(uint value, uint mask, bool omitFullMask) =>
        omitFullMask && mask == uint.MaxValue
            ? string.Create(CultureInfo.InvariantCulture, $"0x{value:x}")
            : string.Create(CultureInfo.InvariantCulture, $"0x{value:x}/0x{mask:x}");

    internal static string NatAddress(IPAddress address, PortRange? port)
    {
        bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        if (port is not PortRange p)
        {
            return address.ToString();
        }
        string ports = p.IsSingle
            ? p.First.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{p.First}-{p.Last}");
        return v6 ? $"[{address}]:{ports}" : $"{address}:{ports}";
    }

    internal static readonly string[] s_addressTypeNames =
        ["UNSPEC", "UNICAST", "LOCAL", "BROADCAST", "ANYCAST", "MULTICAST", "BLACKHOLE", "UNREACHABLE", "PROHIBIT"];

    internal static string AddressTypeName(AddressType type) => s_addressTypeNames[(int)type];

    internal static readonly string[] s_conntrackStateNames = ["INVALID", "NEW", "RELATED", "ESTABLISHED", "UNTRACKED", "SNAT", "DNAT"];

    internal static string ConntrackStateNames(ConntrackStates states)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < s_conntrackStateNames.Length; i++)
        {
            if (((int)states & (1 << i)) != 0)
            {
                if (sb.Length > 0)
                {
                    sb.Append(',');
                }
                sb.Append(s_conntrackStateNames[i]);
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// Quotes as iptables-save does: bare when every character is a letter, digit, <c>_</c> or <c>-</c>;
    /// otherwise in double quotes with <c>"</c>, <c>\</c> and <c>'</c> escaped by a backslash. iptables-restore
    /// reads that back as one argument whatever it contains, so a comment can never become an option.
    /// </summary>
    internal static void AppendQuoted(StringBuilder sb, string value)
    {
        if (value.Length > 0 && IsBare(value))
        {
            sb.Append(value);
            return;
        }
        sb.Append('"');
        foreach (char c in value)
        {
            if (c is '"' or '\\' or '\'')
            {
                sb.Append('\\');
            }
            sb.Append(c);
        }
        sb.Append('"');
    }

    private static bool IsBare(string value)
    {
        foreach (char c in value)
        {
            if (!BareChars.Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }
        return true;
    }

    // Arguments of modules this model does not know come back from iptables-save mostly unquoted (addresses,
    // masks, lists); quote only what would otherwise split or escape.
    private static void AppendArgument(StringBuilder sb, string arg)
    {
        bool plain = arg.Length > 0;
        foreach (char c in arg)
        {
            if (char.IsWhiteSpace(c) || c is '"' or '\\' or '\'')
            {
                plain = false;
                break;
            }
        }
        if (plain)
        {
            sb.Append(arg);
        }
        else
        {
            AppendQuoted(sb, arg);
        }
    }
}
