using System.Net;
using System.Net.Sockets;
using Cni.Net.Spec;

namespace Cni.Net.Ipam;

/// <summary>
/// Allocates one address per attachment from one range set of a <see cref="HostLocalStore"/>, round-robin: the
/// search starts after the set's last reserved address (so a crash-looping container does not get the same
/// address back until the set has been gone through), wraps around, and never hands out a network, broadcast
/// or gateway address.
/// </summary>
public sealed class HostLocalAllocator
{
    private readonly HostLocalStore _store;
    private readonly IPRangeSet _rangeSet;
    private readonly int _rangeSetIndex;

    /// <summary>Creates an allocator over an open (locked) store.</summary>
    /// <param name="store">The store; the caller keeps it open for the whole operation.</param>
    /// <param name="rangeSet">The range set.</param>
    /// <param name="rangeSetIndex">The set's index in the config's <c>ranges</c>: it names <c>last_reserved_ip.N</c>.</param>
    public HostLocalAllocator(HostLocalStore store, IPRangeSet rangeSet, int rangeSetIndex)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(rangeSet);
        ArgumentOutOfRangeException.ThrowIfNegative(rangeSetIndex);
        _store = store;
        _rangeSet = rangeSet;
        _rangeSetIndex = rangeSetIndex;
    }

    /// <summary>
    /// Reserves an address for the attachment: <paramref name="requested"/> when given, else the next free one.
    /// </summary>
    /// <exception cref="ArgumentException">The requested address is not in the set, or is its gateway, network or broadcast address.</exception>
    /// <exception cref="CniException">The requested address is taken (code 101), the attachment already holds an
    /// address of this set (code 102), or the set is exhausted (code 100).</exception>
    public HostLocalAllocation Allocate(string containerId, string ifName, IPAddress? requested = null)
    {
        ArgumentNullException.ThrowIfNull(containerId);
        ArgumentNullException.ThrowIfNull(ifName);
        return requested is null ? AllocateNext(containerId, ifName) : AllocateRequested(containerId, ifName, requested);
    }

    /// <summary>Whether no address of the set is left to hand out (for STATUS).</summary>
    public bool IsExhausted()
    {
        UInt128 free = AllocatableCount();
        UInt128 used = (UInt128)ReservedInSet().Count;
        return used >= free;
    }

    private HostLocalAllocation AllocateRequested(string containerId, string ifName, IPAddress requested)
    {
        requested = IPAddressMath.Canonicalize(requested);
        IPRange range = _rangeSet.RangeFor(requested)
            ?? throw new ArgumentException($"requested IP address {IPAddressMath.Format(requested)} is not in range set {_rangeSet}", nameof(requested));
        UInt128 value = IPAddressMath.ToValue(requested);
        if (value == range.GatewayValue)
        {
            throw new ArgumentException($"requested IP address {IPAddressMath.Format(requested)} is the gateway of subnet {range.Subnet}", nameof(requested));
        }
        if (!range.IsAllocatable(value))
        {
            throw new ArgumentException(
                $"requested IP address {IPAddressMath.Format(requested)} is the {(value == range.Network ? "network" : "broadcast")} address of subnet {range.Subnet}",
                nameof(requested));
        }
        if (!_store.TryReserve(requested, containerId, ifName, _rangeSetIndex))
        {
            throw IpamErrors.Create(IpamErrors.RequestedAddressInUse,
                $"requested IP address {IPAddressMath.Format(requested)} is not available in range set {_rangeSet}");
        }
        return new HostLocalAllocation(requested, range);
    }

    private HostLocalAllocation AllocateNext(string containerId, string ifName)
    {
        // One pass over the directory gives both the addresses taken in this set and whether this attachment
        // already holds one (the specification forbids a second ADD; the reference refuses it the same way).
        byte[] owner = System.Text.Encoding.UTF8.GetBytes(containerId.Trim() + "\r\n" + ifName);
        byte[] legacy = System.Text.Encoding.UTF8.GetBytes(containerId.Trim());
        var reserved = new HashSet<UInt128>();
        UInt128? held = null;
        _store.Scan((name, value, isIPv6, content) =>
        {
            if (isIPv6 != _rangeSet.IsIPv6 || _rangeSet.RangeFor(value) is not IPRange range)
            {
                return;
            }
            if (content.SequenceEqual(owner) || content.SequenceEqual(legacy))
            {
                held ??= value;
            }
            if (range.IsAllocatable(value))
            {
                reserved.Add(value);
            }
        });
        if (held is UInt128 h)
        {
            throw IpamErrors.Create(IpamErrors.DuplicateAllocation,
                $"{IPAddressMath.Format(h, _rangeSet.IsIPv6)} has been allocated to {containerId}, duplicate allocation is not allowed");
        }

        if ((UInt128)reserved.Count < AllocatableCount())
        {
            // Holding the lock, the listing is exact for cooperating plugins; TryReserve still uses O_EXCL, so a
            // writer that ignores the lock costs a retry, never a double allocation.
            foreach ((UInt128 value, IPRange range) in Candidates())
            {
                if (reserved.Contains(value) || !range.IsAllocatable(value))
                {
                    continue;
                }
                IPAddress address = IPAddressMath.FromValue(value, range.IsIPv6);
                if (_store.TryReserve(address, containerId, ifName, _rangeSetIndex))
                {
                    return new HostLocalAllocation(address, range);
                }
            }
        }
        throw IpamErrors.Create(IpamErrors.NoAddressAvailable, $"no IP addresses available in range set: {_rangeSet}");
    }

    /// <summary>
    /// Every address of the set once, in the reference plugin's order: after the last reserved address when it is
    /// in the set, else from the first range's start; each range to its end, then the next range, wrapping.
    /// </summary>
    private IEnumerable<(UInt128 Value, IPRange Range)> Candidates()
    {
        int index = 0;
        UInt128 first = _rangeSet[0].Start;
        IPAddress? last = _store.GetLastReserved(_rangeSetIndex);
        if (last is not null && (last.AddressFamily == AddressFamily.InterNetworkV6) == _rangeSet.IsIPv6)
        {
            UInt128 lastValue = IPAddressMath.ToValue(last);
            for (int i = 0; i < _rangeSet.Count; i++)
            {
                if (_rangeSet[i].Contains(lastValue))
                {
                    if (lastValue == _rangeSet[i].End)
                    {
                        index = (i + 1) % _rangeSet.Count;
                        first = _rangeSet[index].Start;
                    }
                    else
                    {
                        index = i;
                        first = lastValue + 1;
                    }
                    break;
                }
            }
        }

        // The first range from the starting point to its end, every other range whole, then the first range's head.
        IPRange startRange = _rangeSet[index];
        for (UInt128 v = first; ; v++)
        {
            yield return (v, startRange);
            if (v == startRange.End)
            {
                break;
            }
        }
        for (int step = 1; step < _rangeSet.Count; step++)
        {
            IPRange r = _rangeSet[(index + step) % _rangeSet.Count];
            for (UInt128 v = r.Start; ; v++)
            {
                yield return (v, r);
                if (v == r.End)
                {
                    break;
                }
            }
        }
        for (UInt128 v = startRange.Start; v < first; v++)
        {
            yield return (v, startRange);
        }
    }

    private UInt128 AllocatableCount()
    {
        UInt128 total = UInt128.Zero;
        foreach (IPRange r in _rangeSet)
        {
            UInt128 c = r.AllocatableCount();
            total = UInt128.MaxValue - total < c ? UInt128.MaxValue : total + c;
        }
        return total;
    }

    /// <summary>The reserved addresses that count against this set: in one of its ranges and allocatable.</summary>
    private HashSet<UInt128> ReservedInSet()
    {
        var set = new HashSet<UInt128>();
        _store.Scan((name, value, isIPv6, content) =>
        {
            if (isIPv6 == _rangeSet.IsIPv6 && _rangeSet.RangeFor(value) is IPRange range && range.IsAllocatable(value))
            {
                set.Add(value);
            }
        });
        return set;
    }
}
