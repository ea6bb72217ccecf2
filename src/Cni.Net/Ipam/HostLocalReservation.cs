using System.Net;

namespace Cni.Net.Ipam;

/// <summary>One reserved address of a host-local store and the attachment that holds it.</summary>
public sealed class HostLocalReservation
{
    internal HostLocalReservation(IPAddress address, string containerId, string ifName)
    {
        Address = address;
        ContainerId = containerId;
        IfName = ifName;
    }

    /// <summary>The reserved address (the file's name).</summary>
    public IPAddress Address { get; }

    /// <summary>The container id written in the file.</summary>
    public string ContainerId { get; }

    /// <summary>The interface name written in the file; empty for files of old plugin versions that stored only the id.</summary>
    public string IfName { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{IPAddressMath.Format(Address)} {ContainerId} {IfName}";
}
