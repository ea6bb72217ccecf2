

namespace Cni.Net.TrafficControl;

/// <summary>A qdisc as the kernel lists it.</summary>
/// <param name="IfIndex">The device.</param>
/// <param name="Handle">Its handle.</param>
/// <param name="Parent">Its parent (<see cref="TcHandle.Root"/>, <see cref="TcHandle.Ingress"/> or a class).</param>
/// <param name="Kind">TCA_KIND, such as <c>tbf</c>.</param>
public sealed record TcQdiscInfo(int IfIndex, TcHandle Handle, TcHandle Parent, string Kind)
{
    /// <summary>
    /// For tbf: the rate, buffer and limit the kernel reports, and the burst in bytes derived from them as tc
    /// derives it; otherwise null.
    /// </summary>
    public TbfParameters? Tbf { get; init; }

    /// <summary>For pfifo/bfifo: the limit; otherwise null.</summary>
    public uint? FifoLimit { get; init; }

    /// <summary>For htb: the default class minor; otherwise null.</summary>
    public ushort? HtbDefaultClass { get; init; }
}

/// <summary>A class as the kernel lists it.</summary>
/// <param name="IfIndex">The device.</param>
/// <param name="Handle">Its class id.</param>
/// <param name="Parent">Its parent.</param>
/// <param name="Kind">TCA_KIND, such as <c>htb</c>.</param>
public sealed record TcClassInfo(int IfIndex, TcHandle Handle, TcHandle Parent, string Kind)
{
    /// <summary>For htb: the guaranteed rate in bytes per second.</summary>
    public ulong? RateBytesPerSecond { get; init; }

    /// <summary>For htb: the ceiling in bytes per second.</summary>
    public ulong? CeilBytesPerSecond { get; init; }
}

/// <summary>A filter (or, for u32, a hash table or node of one) as the kernel lists it.</summary>
/// <param name="IfIndex">The device.</param>
/// <param name="Handle">The filter handle (for u32 <c>800::800</c> style).</param>
/// <param name="Parent">The qdisc or class it is attached to.</param>
/// <param name="Kind">TCA_KIND, such as <c>u32</c>.</param>
/// <param name="Priority">Its priority (tc's <c>prio</c>/<c>pref</c>).</param>
/// <param name="Protocol">The protocol it applies to (ETH_P_*, host order; 3 = all).</param>
public sealed record TcFilterInfo(int IfIndex, uint Handle, TcHandle Parent, string Kind, ushort Priority, ushort Protocol)
{
    /// <summary>The class matching packets go to, when set.</summary>
    public TcHandle? ClassId { get; init; }

    /// <summary>The mirred action, when the filter has one.</summary>
    public MirredAction? Mirred { get; init; }
}
