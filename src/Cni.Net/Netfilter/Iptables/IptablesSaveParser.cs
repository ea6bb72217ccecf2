using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.Iptables;

/// <summary>
/// Reads <c>iptables-save</c> output back into the model. Matches and targets the model does not describe become
/// <see cref="OtherMatch"/>/<see cref="OtherTarget"/>, so rules of other software survive a read-back.
/// </summary>
internal static class IptablesSaveParser
{
    public static List<NetfilterTableState> Parse(string text, AddressFamily family)
    {
        var tables = new List<NetfilterTableState>();
        NetfilterTableState? current = null;
        bool skipping = false;
        int lineNumber = 0;
        foreach (string raw in text.Split('\n'))
        {
            lineNumber++;
            string line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            try
            {
                if (line[0] == '*')
                {
                    skipping = !NetfilterTables.TryParse(line.AsSpan(1).Trim(), out NetfilterTable table);
                    current = skipping ? null : new NetfilterTableState(family, table, []);
                    continue;
                }
                if (skipping)
                {
                    continue;
                }
                if (current is null)
                {
                    throw new FormatException("rule or chain outside of a table");
                }
                if (line == "COMMIT")
                {
                    tables.Add(current);
                    current = null;
                    continue;
                }
                if (line[0] == ':')
                {
                    current.ChainList.Add(ParseChainLine(line));
                    continue;
                }
                List<string> tokens = Tokenize(line);
                if (tokens.Count < 2 || tokens[0] != "-A")
                {
                    throw new FormatException("expected -A CHAIN");
                }
                NetfilterChainState chain = current.FindChain(tokens[1])
                    ?? throw new FormatException($"rule for undeclared chain {tokens[1]}");
                chain.RuleList.Add(ParseRule(tokens, 2, current));
            }
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
            {
                throw new NetfilterException($"cannot read line {lineNumber} of iptables-save output: {e.Message}",
                    toolMessage: null, line: lineNumber, lineText: line, innerException: e);
            }
        }
        return tables;
    }

    private static NetfilterChainState ParseChainLine(string line)
    {
        // :NAME POLICY [packets:bytes]
        string[] parts = line[1..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
        {
            throw new FormatException("malformed chain line");
        }
        NetfilterVerdict? policy = parts[1] switch
        {
            "-" => null,
            "ACCEPT" => NetfilterVerdict.Accept,
            "DROP" => NetfilterVerdict.Drop,
            _ => throw new FormatException($"unknown policy {parts[1]}"),
        };
        return new NetfilterChainState(parts[0], policy, []);
    }

    /// <summary>Splits a line as iptables-restore does: double quotes group, and inside them a backslash escapes.</summary>
    internal static List<string> Tokenize(string line)
    {
        var tokens = new List<string>();
        var buf = new System.Text.StringBuilder();
        bool inQuotes = false;
        bool escaped = false;
        bool haveToken = false;
        foreach (char c in line)
        {
            if (inQuotes)
            {
                if (escaped)
                {
                    buf.Append(c);
                    escaped = false;
                }
                else if (c == '\\')
                {
                    escaped = true;
                }
                else if (c == '"')
                {
                    inQuotes = false;
                    tokens.Add(buf.ToString());
                    buf.Clear();
                    haveToken = false;
                }
                else
                {
                    buf.Append(c);
                }
                continue;
            }
            if (c == '"')
            {
                inQuotes = true;
                haveToken = true;
                continue;
            }
            if (c is ' ' or '\t')
            {
                if (haveToken)
                {
                    tokens.Add(buf.ToString());
                    buf.Clear();
                    haveToken = false;
                }
                continue;
            }
            buf.Append(c);
            haveToken = true;
        }
        if (inQuotes)
        {
            throw new FormatException("unterminated quote");
        }
        if (haveToken)
        {
            tokens.Add(buf.ToString());
        }
        return tokens;
    }

    /// <summary>
    /// Reads iptables match arguments given as an argv (such as portmap's <c>conditionsV4</c>) into a rule.
    /// </summary>
    /// <exception cref="ArgumentException">An option the model cannot read.</exception>
    internal static NetfilterRule ParseArguments(IReadOnlyList<string> args, AddressFamily family)
    {
        try
        {
            return ParseRule([.. args], 0, NetfilterTableState.Empty(family, NetfilterTable.Filter));
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new ArgumentException($"cannot read iptables arguments '{string.Join(' ', args)}': {e.Message}", nameof(args), e);
        }
    }

    private static NetfilterRule ParseRule(List<string> t, int i, NetfilterTableState table)
    {
        string? protocol = null;
        bool protocolNeg = false, sourceNeg = false, destinationNeg = false, inNeg = false, outNeg = false;
        IPNetwork? source = null, destination = null;
        string? inIf = null, outIf = null;
        var matches = new List<NetfilterMatch>();
        NetfilterTarget? target = null;
        bool negate = false;
        while (i < t.Count)
        {
            string tok = t[i++];
            if (tok == "!")
            {
                negate = true;
                continue;
            }
            switch (tok)
            {
                case "-s":
                    source = ParsePrefix(Next(t, ref i, tok));
                    sourceNeg = negate;
                    break;
                case "-d":
                    destination = ParsePrefix(Next(t, ref i, tok));
                    destinationNeg = negate;
                    break;
                case "-i":
                    inIf = Next(t, ref i, tok);
                    inNeg = negate;
                    break;
                case "-o":
                    outIf = Next(t, ref i, tok);
                    outNeg = negate;
                    break;
                case "-p":
                    protocol = Next(t, ref i, tok);
                    protocolNeg = negate;
                    break;
                case "-m":
                {
                    string module = Next(t, ref i, tok);
                    int start = i;
                    while (i < t.Count && t[i] is not ("-m" or "-j" or "-g"))
                    {
                        i++;
                    }
                    List<string> args = t.GetRange(start, i - start);
                    matches.Add(ParseMatch(module, args, protocol));
                    break;
                }
                case "-j":
                {
                    string name = Next(t, ref i, tok);
                    List<string> args = t.GetRange(i, t.Count - i);
                    i = t.Count;
                    target = ParseTarget(name, args, table);
                    break;
                }
                case "-g":
                    target = new GotoTarget(Next(t, ref i, tok));
                    break;
                default:
                    throw new FormatException($"unsupported option {tok}");
            }
            negate = false;
        }
        return new NetfilterRule
        {
            Protocol = protocol,
            ProtocolNegated = protocolNeg,
            Source = source,
            SourceNegated = sourceNeg,
            Destination = destination,
            DestinationNegated = destinationNeg,
            InInterface = inIf,
            InInterfaceNegated = inNeg,
            OutInterface = outIf,
            OutInterfaceNegated = outNeg,
            Matches = matches,
            Target = target,
        };
    }

    private static string Next(List<string> t, ref int i, string option) =>
        i < t.Count ? t[i++] : throw new FormatException($"{option} needs a value");

    private static IPNetwork ParsePrefix(string text) =>
        text.Contains('/', StringComparison.Ordinal) ? IPNetwork.Parse(text) : IPNetwork.Parse(text + (text.Contains(':', StringComparison.Ordinal) ? "/128" : "/32"));

    private static NetfilterMatch ParseMatch(string module, List<string> args, string? protocol) =>
        TryParseKnownMatch(module, args, protocol) ?? new OtherMatch(module, args);

    // Options as (negated, flag, value) triples; null when the arguments are not all "[!] --flag value".
    private static List<(bool Negated, string Flag, string Value)>? Options(List<string> args)
    {
        var list = new List<(bool, string, string)>();
        int i = 0;
        while (i < args.Count)
        {
            bool neg = false;
            if (args[i] == "!")
            {
                neg = true;
                i++;
            }
            if (i + 1 >= args.Count || !args[i].StartsWith("--", StringComparison.Ordinal))
            {
                return null;
            }
            list.Add((neg, args[i], args[i + 1]));
            i += 2;
        }
        return list;
    }

    private static NetfilterMatch? TryParseKnownMatch(string module, List<string> args, string? protocol)
    {
        List<(bool Negated, string Flag, string Value)>? opts = Options(args);
        if (opts is null)
        {
            return null;
        }
        switch (module)
        {
            case "tcp" or "udp" or "sctp" or "udplite" or "dccp" when module == protocol:
            {
                PortRange? sp = null, dp = null;
                bool sn = false, dn = false;
                foreach (var (neg, flag, value) in opts)
                {
                    if (!PortRange.TryParse(value, out PortRange r))
                    {
                        return null;
                    }
                    if (flag == "--sport" && sp is null)
                    {
                        sp = r;
                        sn = neg;
                    }
                    else if (flag == "--dport" && dp is null)
                    {
                        dp = r;
                        dn = neg;
                    }
                    else
                    {
                        return null;
                    }
                }
                return sp is null && dp is null ? null : new PortMatch(sp, dp) { SourceNegated = sn, DestinationNegated = dn };
            }
            case "multiport" when opts.Count == 1:
            {
                MultiportDirection? dir = opts[0].Flag switch
                {
                    "--dports" => MultiportDirection.Destination,
                    "--sports" => MultiportDirection.Source,
                    "--ports" => MultiportDirection.Either,
                    _ => null,
                };
                var ports = new List<PortRange>();
                foreach (string p in opts[0].Value.Split(','))
                {
                    if (!PortRange.TryParse(p, out PortRange r))
                    {
                        return null;
                    }
                    ports.Add(r);
                }
                return dir is null ? null : new MultiportMatch(dir.Value, ports) { Negated = opts[0].Negated };
            }
            case "addrtype":
            {
                AddressType? st = null, dt = null;
                bool sn = false, dn = false;
                foreach (var (neg, flag, value) in opts)
                {
                    int index = Array.IndexOf(IptablesRuleFormatter.s_addressTypeNames, value);
                    if (index < 0)
                    {
                        return null;
                    }
                    if (flag == "--src-type" && st is null)
                    {
                        st = (AddressType)index;
                        sn = neg;
                    }
                    else if (flag == "--dst-type" && dt is null)
                    {
                        dt = (AddressType)index;
                        dn = neg;
                    }
                    else
                    {
                        return null;
                    }
                }
                return st is null && dt is null ? null : new AddressTypeMatch(st, dt) { SourceNegated = sn, DestinationNegated = dn };
            }
            case "conntrack" when opts.Count == 1 && opts[0].Flag == "--ctstate":
            {
                ConntrackStates states = ConntrackStates.None;
                foreach (string s in opts[0].Value.Split(','))
                {
                    int index = Array.IndexOf(IptablesRuleFormatter.s_conntrackStateNames, s);
                    if (index < 0)
                    {
                        return null;
                    }
                    states |= (ConntrackStates)(1 << index);
                }
                return new ConntrackStateMatch(states) { Negated = opts[0].Negated };
            }
            case "mark" when opts.Count == 1 && opts[0].Flag == "--mark":
                return TryParseMark(opts[0].Value, out uint v, out uint m) ? new MarkMatch(v, m) { Negated = opts[0].Negated } : null;
            case "comment" when opts.Count == 1 && opts[0].Flag == "--comment" && !opts[0].Negated:
                return new CommentMatch(opts[0].Value);
            default:
                return null;
        }
    }

    private static NetfilterTarget ParseTarget(string name, List<string> args, NetfilterTableState table)
    {
        switch (name)
        {
            case "ACCEPT" when args.Count == 0:
                return NetfilterTarget.Accept;
            case "DROP" when args.Count == 0:
                return NetfilterTarget.Drop;
            case "RETURN" when args.Count == 0:
                return NetfilterTarget.Return;
            case "MASQUERADE" when args.Count == 0:
                return NetfilterTarget.Masquerade;
            case "DNAT" when args.Count == 2 && args[0] == "--to-destination" && TryParseNatAddress(args[1], out IPAddress? a, out PortRange? p):
                return new DnatTarget(a, p);
            case "SNAT" when args.Count == 2 && args[0] == "--to-source" && TryParseNatAddress(args[1], out IPAddress? a, out PortRange? p):
                return new SnatTarget(a, p);
            case "MARK" when args.Count == 2 && args[0] == "--set-xmark" && TryParseMark(args[1], out uint v, out uint m):
                return new MarkTarget(v, m);
        }
        if (args.Count == 0 && table.FindChain(name) is not null)
        {
            return new JumpTarget(name);
        }
        return new OtherTarget(name, args);
    }

    private static bool TryParseMark(string text, out uint value, out uint mask)
    {
        mask = uint.MaxValue;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string v = slash < 0 ? text : text[..slash];
        return TryParseHex(v, out value) && (slash < 0 || TryParseHex(text[(slash + 1)..], out mask));
    }

    private static bool TryParseHex(string text, out uint value)
    {
        value = 0;
        return text.StartsWith("0x", StringComparison.Ordinal)
            && uint.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private static bool TryParseNatAddress(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPAddress? address, out PortRange? port)
    {
        address = null;
        port = null;
        string addr = text;
        string? ports = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                return false;
            }
            addr = text[1..close];
            ports = text[(close + 2)..];
        }
        else if (text.Count(c => c == ':') == 1)
        {
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            addr = text[..colon];
            ports = text[(colon + 1)..];
        }
        if (!IPAddress.TryParse(addr, out address) || addr.Contains('-', StringComparison.Ordinal))
        {
            return false;
        }
        if (ports is not null)
        {
            if (!PortRange.TryParse(ports.Replace('-', ':'), out PortRange r))
            {
                return false;
            }
            port = r;
        }
        return true;
    }
}
