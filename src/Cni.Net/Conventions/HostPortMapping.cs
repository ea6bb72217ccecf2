using System.Net;
using Cni.Net.Netfilter;

namespace Cni.Net.Conventions;

/// <summary>One forwarded port, as the <c>portMappings</c> capability describes it.</summary>
/// <param name="HostPort">The port on the node.</param>
/// <param name="ContainerPort">The port in the pod.</param>
/// <param name="Protocol"><c>tcp</c>, <c>udp</c> or <c>sctp</c>.</param>
/// <param name="HostAddress">Only traffic to this node address is forwarded; null (or unspecified) for any.</param>
public readonly record struct HostPortMapping(ushort HostPort, ushort ContainerPort, string Protocol, IPAddress? HostAddress = null);
