using System.Net;

namespace Cni.Net.Ipam;

/// <summary>An address reserved for an attachment, with the range it came from.</summary>
public sealed class HostLocalAllocation
{
    internal HostLocalAllocation(IPAddress address, IPRange range)
    {
        Address = address;
        Range = range;
    }

    /// <summary>The reserved address.</summary>
    public IPAddress Address { get; }

    /// <summary>The range that holds the address; its subnet gives the prefix length and its gateway the gateway.</summary>
    public IPRange Range { get; }

    /// <summary>The prefix length of the range's subnet.</summary>
    public int PrefixLength => Range.Subnet.PrefixLength;

    /// <summary>The range's gateway.</summary>
    public IPAddress Gateway => Range.Gateway;

    /// <summary>The address in CIDR form, as a CNI result writes it (<c>10.0.0.2/24</c>).</summary>
    public override string ToString() => $"{IPAddressMath.Format(Address)}/{PrefixLength}";
}
