namespace Cni.Net.Netfilter;

/// <summary>
/// A match of a rule beyond the basic ones on <see cref="NetfilterRule"/> (protocol, addresses, interfaces).
/// Matches keep their order: <c>iptables-save</c> prints them in the order they were added.
/// </summary>
public abstract record NetfilterMatch
{
    private protected NetfilterMatch()
    {
    }

    /// <summary>Matches the destination port (<c>-m tcp --dport 80</c>); the rule must name tcp, udp or sctp.</summary>
    /// <param name="port">The port or range.</param>
    /// <param name="negated">Match every other port.</param>
    /// <returns>The match.</returns>
    public static PortMatch DestinationPort(PortRange port, bool negated = false) =>
        new(null, port) { DestinationNegated = negated };

    /// <summary>Matches the source port (<c>-m udp --sport 53</c>); the rule must name tcp, udp or sctp.</summary>
    /// <param name="port">The port or range.</param>
    /// <param name="negated">Match every other port.</param>
    /// <returns>The match.</returns>
    public static PortMatch SourcePort(PortRange port, bool negated = false) =>
        new(port, null) { SourceNegated = negated };

    /// <summary>Matches up to 15 destination ports (<c>-m multiport --dports 80,443</c>).</summary>
    /// <param name="ports">The ports; a range counts as two.</param>
    /// <returns>The match.</returns>
    public static MultiportMatch DestinationPorts(params IReadOnlyList<PortRange> ports) =>
        new(MultiportDirection.Destination, ports);

    /// <summary>Matches the destination address type (<c>-m addrtype --dst-type LOCAL</c>).</summary>
    /// <param name="type">The address type.</param>
    /// <param name="negated">Match every other type.</param>
    /// <returns>The match.</returns>
    public static AddressTypeMatch DestinationType(AddressType type, bool negated = false) =>
        new(null, type) { DestinationNegated = negated };

    /// <summary>Matches connection-tracking states (<c>-m conntrack --ctstate RELATED,ESTABLISHED</c>).</summary>
    /// <param name="states">The states.</param>
    /// <param name="negated">Match every other state.</param>
    /// <returns>The match.</returns>
    public static ConntrackStateMatch ConntrackState(ConntrackStates states, bool negated = false) =>
        new(states) { Negated = negated };

    /// <summary>Matches the packet mark under a mask (<c>-m mark --mark 0x2000/0x2000</c>).</summary>
    /// <param name="value">The mark value.</param>
    /// <param name="mask">The mask (all ones for an exact match).</param>
    /// <param name="negated">Match every other mark.</param>
    /// <returns>The match.</returns>
    public static MarkMatch Mark(uint value, uint mask = uint.MaxValue, bool negated = false) =>
        new(value, mask) { Negated = negated };

    /// <summary>A comment (<c>-m comment --comment "..."</c>); quoted so that it can never become an argument.</summary>
    /// <param name="text">At most 255 bytes of UTF-8 without control characters.</param>
    /// <returns>The match.</returns>
    /// <exception cref="ArgumentException">The text is too long or holds a control character.</exception>
    public static CommentMatch Comment(string text) => new(text);
}

/// <summary><c>-m tcp|udp|sctp [!] --sport P [!] --dport P</c>: the protocol comes from the rule.</summary>
/// <param name="Source">The source port or range, if matched.</param>
/// <param name="Destination">The destination port or range, if matched.</param>
public sealed record PortMatch(PortRange? Source, PortRange? Destination) : NetfilterMatch
{
    /// <summary>Negates the source-port test.</summary>
    public bool SourceNegated { get; init; }

    /// <summary>Negates the destination-port test.</summary>
    public bool DestinationNegated { get; init; }
}

/// <summary>Which ports a <see cref="MultiportMatch"/> tests.</summary>
public enum MultiportDirection
{
    /// <summary><c>--sports</c>.</summary>
    Source,

    /// <summary><c>--dports</c>.</summary>
    Destination,

    /// <summary><c>--ports</c>: source or destination.</summary>
    Either,
}

/// <summary><c>-m multiport [!] --dports 80,443,1000:2000</c>: at most 15 ports, a range counting as two.</summary>
public sealed record MultiportMatch : NetfilterMatch
{
    /// <summary>The most ports one multiport match takes (a range counts as two).</summary>
    public const int MaxPorts = 15;

    /// <summary>Creates the match.</summary>
    /// <param name="direction">Which ports are tested.</param>
    /// <param name="ports">The ports and ranges, 1 to 15 slots.</param>
    /// <exception cref="ArgumentException">No ports, more than 15 slots, or a reversed range.</exception>
    public MultiportMatch(MultiportDirection direction, IReadOnlyList<PortRange> ports)
    {
        ArgumentNullException.ThrowIfNull(ports);
        int slots = 0;
        foreach (PortRange p in ports)
        {
            p.Validate(nameof(ports));
            slots += p.IsSingle ? 1 : 2;
        }
        if (slots == 0 || slots > MaxPorts)
        {
            throw new ArgumentException($"multiport takes 1 to {MaxPorts} ports (a range counts as two); got {slots}", nameof(ports));
        }
        Direction = direction;
        Ports = [.. ports];
    }

    /// <summary>Which ports are tested.</summary>
    public MultiportDirection Direction { get; }

    /// <summary>The ports and ranges.</summary>
    public IReadOnlyList<PortRange> Ports { get; }

    /// <summary>Negates the test.</summary>
    public bool Negated { get; init; }

    /// <inheritdoc/>
    public bool Equals(MultiportMatch? other) =>
        other is not null && Direction == other.Direction && Negated == other.Negated && Ports.SequenceEqual(other.Ports);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Direction, Negated, Ports.Count, Ports.Count > 0 ? Ports[0] : default);
}

/// <summary>Address types of <c>-m addrtype</c>.</summary>
public enum AddressType
{
    /// <summary>UNSPEC.</summary>
    Unspecified,

    /// <summary>UNICAST.</summary>
    Unicast,

    /// <summary>LOCAL: an address of this host.</summary>
    Local,

    /// <summary>BROADCAST.</summary>
    Broadcast,

    /// <summary>ANYCAST.</summary>
    Anycast,

    /// <summary>MULTICAST.</summary>
    Multicast,

    /// <summary>BLACKHOLE.</summary>
    Blackhole,

    /// <summary>UNREACHABLE.</summary>
    Unreachable,

    /// <summary>PROHIBIT.</summary>
    Prohibit,
}

/// <summary><c>-m addrtype [!] --src-type T [!] --dst-type T</c>.</summary>
/// <param name="Source">The source address type, if tested.</param>
/// <param name="Destination">The destination address type, if tested.</param>
public sealed record AddressTypeMatch(AddressType? Source, AddressType? Destination) : NetfilterMatch
{
    /// <summary>Negates the source test.</summary>
    public bool SourceNegated { get; init; }

    /// <summary>Negates the destination test.</summary>
    public bool DestinationNegated { get; init; }
}

/// <summary>Connection-tracking states of <c>-m conntrack --ctstate</c>.</summary>
[Flags]
public enum ConntrackStates
{
    /// <summary>No state.</summary>
    None = 0,

    /// <summary>INVALID.</summary>
    Invalid = 1,

    /// <summary>NEW.</summary>
    New = 2,

    /// <summary>RELATED.</summary>
    Related = 4,

    /// <summary>ESTABLISHED.</summary>
    Established = 8,

    /// <summary>UNTRACKED.</summary>
    Untracked = 16,

    /// <summary>SNAT: the original destination differs from the reply source.</summary>
    Snat = 32,

    /// <summary>DNAT: the original source differs from the reply destination.</summary>
    Dnat = 64,
}

/// <summary><c>-m conntrack [!] --ctstate S1,S2</c>.</summary>
/// <param name="States">The states, at least one.</param>
public sealed record ConntrackStateMatch(ConntrackStates States) : NetfilterMatch
{
    /// <summary>Negates the test.</summary>
    public bool Negated { get; init; }
}

/// <summary><c>-m mark [!] --mark V[/M]</c>.</summary>
/// <param name="Value">The mark value.</param>
/// <param name="Mask">The mask; all ones is an exact match.</param>
public sealed record MarkMatch(uint Value, uint Mask) : NetfilterMatch
{
    /// <summary>Negates the test.</summary>
    public bool Negated { get; init; }
}

/// <summary><c>-m comment --comment "text"</c>.</summary>
public sealed record CommentMatch : NetfilterMatch
{
    /// <summary>The longest comment the kernel keeps, in UTF-8 bytes.</summary>
    public const int MaxLength = 255;

    /// <summary>Creates the comment.</summary>
    /// <param name="text">At most 255 bytes of UTF-8 without control characters.</param>
    /// <exception cref="ArgumentException">The text is too long or holds a control character.</exception>
    public CommentMatch(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (System.Text.Encoding.UTF8.GetByteCount(text) > MaxLength)
        {
            throw new ArgumentException($"a netfilter comment holds at most {MaxLength} bytes", nameof(text));
        }
        foreach (char c in text)
        {
            // A line break would end the restore line; other control characters have no business here.
            if (char.IsControl(c))
            {
                throw new ArgumentException("a netfilter comment must not contain control characters", nameof(text));
            }
        }
        Text = text;
    }

    /// <summary>The comment text.</summary>
    public string Text { get; }
}

/// <summary>
/// A match this model does not describe, kept as the module name and its arguments exactly as <c>iptables-save</c>
/// printed them, so that rules written by other software survive a read-back.
/// </summary>
public sealed record OtherMatch : NetfilterMatch
{
    /// <summary>Creates the match.</summary>
    /// <param name="module">The <c>-m</c> module name.</param>
    /// <param name="arguments">Its arguments, unquoted.</param>
    public OtherMatch(string module, IReadOnlyList<string> arguments)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(module);
        ArgumentNullException.ThrowIfNull(arguments);
        Module = module;
        Arguments = [.. arguments];
    }

    /// <summary>The <c>-m</c> module name.</summary>
    public string Module { get; }

    /// <summary>Its arguments, unquoted.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <inheritdoc/>
    public bool Equals(OtherMatch? other) =>
        other is not null && Module == other.Module && Arguments.SequenceEqual(other.Arguments);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Module, Arguments.Count);
}
