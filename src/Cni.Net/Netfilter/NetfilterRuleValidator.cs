using System.Net;
using System.Net.Sockets;

namespace Cni.Net.Netfilter;

/// <summary>Checks a rule before it reaches any backend, so mistakes surface at the call that made them.</summary>
internal static class NetfilterRuleValidator
{
    public static void Validate(NetfilterRule rule, AddressFamily family)
    {
        if (rule.Source is IPNetwork s && s.BaseAddress.AddressFamily != family)
        {
            throw new ArgumentException($"source {s} is not of the transaction's family {family}", nameof(rule));
        }
        if (rule.Destination is IPNetwork d && d.BaseAddress.AddressFamily != family)
        {
            throw new ArgumentException($"destination {d} is not of the transaction's family {family}", nameof(rule));
        }
        if (rule.Protocol is not null)
        {
            if (rule.Protocol.Length == 0 || !rule.Protocol.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                throw new ArgumentException($"invalid protocol '{rule.Protocol}'", nameof(rule));
            }
        }
        ValidInterface(rule.InInterface);
        ValidInterface(rule.OutInterface);
        foreach (NetfilterMatch m in rule.Matches)
        {
            switch (m)
            {
                case PortMatch or MultiportMatch when rule.Protocol is not ("tcp" or "udp" or "sctp" or "udplite" or "dccp") || rule.ProtocolNegated:
                    throw new ArgumentException("a port match needs the rule's protocol to be tcp, udp, sctp, udplite or dccp", nameof(rule));
                case PortMatch p when p.Source is null && p.Destination is null:
                    throw new ArgumentException("a port match needs a source or destination port", nameof(rule));
                case PortMatch p:
                    p.Source?.Validate(nameof(rule));
                    p.Destination?.Validate(nameof(rule));
                    break;
                case AddressTypeMatch a when a.Source is null && a.Destination is null:
                    throw new ArgumentException("an address-type match needs a source or destination type", nameof(rule));
                case ConntrackStateMatch c when c.States == ConntrackStates.None:
                    throw new ArgumentException("a conntrack match needs at least one state", nameof(rule));
                case OtherMatch o:
                    ValidArguments(o.Arguments);
                    break;
                case null:
                    throw new ArgumentException("a match is null", nameof(rule));
            }
        }
        switch (rule.Target)
        {
            case JumpTarget j:
                NetfilterTransaction.ValidChain(j.Chain);
                break;
            case GotoTarget g:
                NetfilterTransaction.ValidChain(g.Chain);
                break;
            case DnatTarget dn when dn.Address.AddressFamily != family:
            case SnatTarget sn when sn.Address.AddressFamily != family:
                throw new ArgumentException($"NAT address is not of the transaction's family {family}", nameof(rule));
            case DnatTarget { Port: not null } when rule.Protocol is not ("tcp" or "udp" or "sctp" or "udplite" or "dccp"):
            case SnatTarget { Port: not null } when rule.Protocol is not ("tcp" or "udp" or "sctp" or "udplite" or "dccp"):
                throw new ArgumentException("NAT to a port needs the rule's protocol to be tcp, udp, sctp, udplite or dccp", nameof(rule));
            case OtherTarget o:
                ValidArguments(o.Arguments);
                break;
        }
    }

    private static void ValidInterface(string? name)
    {
        // IFNAMSIZ is 16 with the NUL.
        if (name is not null && (name.Length is 0 or > 15 || name.Any(c => c <= ' ' || c >= 0x7f || c is '/' or '"' or '\'' or '\\')))
        {
            throw new ArgumentException($"invalid interface name '{name}'", nameof(name));
        }
    }

    private static void ValidArguments(IReadOnlyList<string> args)
    {
        foreach (string a in args)
        {
            if (a.Any(char.IsControl))
            {
                throw new ArgumentException("arguments must not contain control characters", nameof(args));
            }
        }
    }
}
