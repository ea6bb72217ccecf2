using System.Net;

namespace Cni.Net.Netfilter;

/// <summary>What a rule does with a matching packet (<c>-j</c> / <c>-g</c>).</summary>
public abstract record NetfilterTarget
{
    private protected NetfilterTarget()
    {
    }

    /// <summary><c>-j ACCEPT</c>.</summary>
    public static VerdictTarget Accept { get; } = new(NetfilterVerdict.Accept);

    /// <summary><c>-j DROP</c> (not allowed in the nat table).</summary>
    public static VerdictTarget Drop { get; } = new(NetfilterVerdict.Drop);

    /// <summary><c>-j RETURN</c>.</summary>
    public static VerdictTarget Return { get; } = new(NetfilterVerdict.Return);

    /// <summary><c>-j MASQUERADE</c> (nat POSTROUTING).</summary>
    public static MasqueradeTarget Masquerade { get; } = new();

    /// <summary><c>-j CHAIN</c>: continue in another chain, come back on RETURN.</summary>
    /// <param name="chain">The chain.</param>
    /// <returns>The target.</returns>
    public static JumpTarget Jump(string chain) => new(chain);

    /// <summary><c>-g CHAIN</c>: continue in another chain, RETURN goes back to this chain's caller.</summary>
    /// <param name="chain">The chain.</param>
    /// <returns>The target.</returns>
    public static GotoTarget Goto(string chain) => new(chain);

    /// <summary><c>-j DNAT --to-destination ip[:port]</c>.</summary>
    /// <param name="address">The new destination address.</param>
    /// <param name="port">The new destination port, if it changes.</param>
    /// <returns>The target.</returns>
    public static DnatTarget Dnat(IPAddress address, PortRange? port = null) => new(address, port);

    /// <summary><c>-j SNAT --to-source ip[:port]</c>.</summary>
    /// <param name="address">The new source address.</param>
    /// <param name="port">The new source port, if it changes.</param>
    /// <returns>The target.</returns>
    public static SnatTarget Snat(IPAddress address, PortRange? port = null) => new(address, port);

    /// <summary><c>-j MARK --set-xmark value/mask</c>: clears the mask bits then XORs the value.</summary>
    /// <param name="value">The bits to set.</param>
    /// <param name="mask">The bits to clear first (all ones replaces the mark).</param>
    /// <returns>The target.</returns>
    public static MarkTarget SetMark(uint value, uint mask = uint.MaxValue) => new(value, mask);
}

/// <summary><c>-j ACCEPT|DROP|RETURN</c>.</summary>
/// <param name="Verdict">The verdict.</param>
public sealed record VerdictTarget(NetfilterVerdict Verdict) : NetfilterTarget;

/// <summary><c>-j CHAIN</c>.</summary>
/// <param name="Chain">The chain jumped to.</param>
public sealed record JumpTarget(string Chain) : NetfilterTarget;

/// <summary><c>-g CHAIN</c>.</summary>
/// <param name="Chain">The chain gone to.</param>
public sealed record GotoTarget(string Chain) : NetfilterTarget;

/// <summary><c>-j MASQUERADE</c>: source NAT to the address of the outgoing interface.</summary>
public sealed record MasqueradeTarget : NetfilterTarget;

/// <summary><c>-j DNAT --to-destination ip[:port]</c>.</summary>
/// <param name="Address">The new destination address.</param>
/// <param name="Port">The new destination port or range, if it changes.</param>
public sealed record DnatTarget(IPAddress Address, PortRange? Port) : NetfilterTarget;

/// <summary><c>-j SNAT --to-source ip[:port]</c>.</summary>
/// <param name="Address">The new source address.</param>
/// <param name="Port">The new source port or range, if it changes.</param>
public sealed record SnatTarget(IPAddress Address, PortRange? Port) : NetfilterTarget;

/// <summary><c>-j MARK --set-xmark value/mask</c>.</summary>
/// <param name="Value">The bits XORed in after clearing.</param>
/// <param name="Mask">The bits cleared first.</param>
public sealed record MarkTarget(uint Value, uint Mask) : NetfilterTarget;

/// <summary>
/// A target this model does not describe, kept as its name and arguments exactly as <c>iptables-save</c>
/// printed them.
/// </summary>
public sealed record OtherTarget : NetfilterTarget
{
    /// <summary>Creates the target.</summary>
    /// <param name="name">The <c>-j</c> name.</param>
    /// <param name="arguments">Its arguments, unquoted.</param>
    public OtherTarget(string name, IReadOnlyList<string> arguments)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(arguments);
        Name = name;
        Arguments = [.. arguments];
    }

    /// <summary>The <c>-j</c> name.</summary>
    public string Name { get; }

    /// <summary>Its arguments, unquoted.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <inheritdoc/>
    public bool Equals(OtherTarget? other) =>
        other is not null && Name == other.Name && Arguments.SequenceEqual(other.Arguments);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Arguments.Count);
}
