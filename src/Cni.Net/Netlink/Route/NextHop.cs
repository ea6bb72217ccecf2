using System.Net;

namespace Cni.Net.Netlink.Route;

/// <summary>One next hop of a multipath route (<c>struct rtnexthop</c> and its attributes).</summary>
public sealed class NextHop
{
    /// <summary>The gateway, or <see langword="null"/> for a directly connected hop.</summary>
    public IPAddress? Gateway { get; set; }

    /// <summary>The output link index (0 when the kernel should find it from the gateway).</summary>
    public int DeviceIndex { get; set; }

    /// <summary>Relative weight, 1–256 (rtnh_hops + 1).</summary>
    public int Weight
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 256);
            field = value;
        }
    } = 1;

    /// <summary>Treat the gateway as on-link even without a matching prefix (RTNH_F_ONLINK).</summary>
    public bool OnLink { get; set; }

    /// <inheritdoc/>
    public override string ToString() => $"nexthop via {Gateway} dev {DeviceIndex} weight {Weight}";
}
