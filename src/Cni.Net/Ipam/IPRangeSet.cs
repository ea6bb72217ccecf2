using System.Collections;
using System.Net;
using System.Net.Sockets;

namespace Cni.Net.Ipam;

/// <summary>
/// A range set: ranges of one address family from which one address is allocated per container (the reference
/// plugin's <c>ranges</c> is a list of such sets; dual stack is one IPv4 set and one IPv6 set).
/// </summary>
public sealed class IPRangeSet : IReadOnlyList<IPRange>
{
    private readonly IPRange[] _ranges;

    /// <summary>Creates a range set after checking that it is non-empty, of one family and free of overlaps.</summary>
    /// <param name="ranges">The ranges, in allocation order.</param>
    /// <exception cref="ArgumentException">The set is empty, mixes IPv4 and IPv6, or two of its ranges overlap.</exception>
    public IPRangeSet(IEnumerable<IPRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        _ranges = [.. ranges];
        if (_ranges.Length == 0)
        {
            throw new ArgumentException("a range set needs at least one range", nameof(ranges));
        }
        for (int i = 0; i < _ranges.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(_ranges[i], nameof(ranges));
            if (_ranges[i].IsIPv6 != _ranges[0].IsIPv6)
            {
                throw new ArgumentException(
                    $"range {i} ({_ranges[i].Subnet}) is not of the same address family as range 0 ({_ranges[0].Subnet}): mixed address families in one range set",
                    nameof(ranges));
            }
            for (int j = 0; j < i; j++)
            {
                if (_ranges[j].Overlaps(_ranges[i]))
                {
                    throw new ArgumentException($"range {j} ({_ranges[j]}) and range {i} ({_ranges[i]}) overlap", nameof(ranges));
                }
            }
        }
    }

    /// <summary>Whether the set holds IPv6 ranges.</summary>
    public bool IsIPv6 => _ranges[0].IsIPv6;

    /// <inheritdoc/>
    public int Count => _ranges.Length;

    /// <inheritdoc/>
    public IPRange this[int index] => _ranges[index];

    /// <summary>The range that contains <paramref name="address"/> between its start and end, or null.</summary>
    public IPRange? RangeFor(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        address = IPAddressMath.Canonicalize(address);
        if ((address.AddressFamily == AddressFamily.InterNetworkV6) != IsIPv6)
        {
            return null;
        }
        return RangeFor(IPAddressMath.ToValue(address));
    }

    internal IPRange? RangeFor(UInt128 value)
    {
        foreach (IPRange r in _ranges)
        {
            if (r.Contains(value))
            {
                return r;
            }
        }
        return null;
    }

    /// <summary>Whether any range of this set overlaps any range of <paramref name="other"/>.</summary>
    internal bool Overlaps(IPRangeSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (IPRange a in _ranges)
        {
            foreach (IPRange b in other._ranges)
            {
                if (a.Overlaps(b))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>Checks a list of range sets as the reference plugin's <c>ranges</c>: no two sets may overlap.</summary>
    /// <exception cref="ArgumentException">Two sets overlap; the message names both indexes.</exception>
    public static void ValidateDisjoint(IReadOnlyList<IPRangeSet> rangeSets)
    {
        ArgumentNullException.ThrowIfNull(rangeSets);
        for (int i = 0; i < rangeSets.Count; i++)
        {
            for (int j = i + 1; j < rangeSets.Count; j++)
            {
                if (rangeSets[i].Overlaps(rangeSets[j]))
                {
                    throw new ArgumentException($"range set {i} overlaps with range set {j}", nameof(rangeSets));
                }
            }
        }
    }

    /// <inheritdoc/>
    public IEnumerator<IPRange> GetEnumerator() => ((IEnumerable<IPRange>)_ranges).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _ranges.GetEnumerator();

    /// <summary>The reference plugin's form: the ranges joined by commas.</summary>
    public override string ToString() => string.Join(',', _ranges.Select(r => r.ToString()));
}
