using Cni.Net.Plugins;
using Cni.Net.Spec;
using Cni.Net.TrafficControl;

namespace Cni.Net.Samples.Bandwidth;

/// <summary>
/// The validated limits of one invocation, in bits, with the tbf parameters each direction gets (null when that
/// direction is unshaped).
/// </summary>
internal sealed record BandwidthLimits(ulong IngressRate, ulong IngressBurst, TbfParameters? Ingress,
    ulong EgressRate, ulong EgressBurst, TbfParameters? Egress)
{
    public bool IsEmpty => Ingress is null && Egress is null;

    public static BandwidthLimits Read(CniPluginRequest<BandwidthNetConf> request, PschedClock clock)
    {
        BandwidthNetConf conf = request.NetConf;
        // Subnet-scoped shaping needs htb classes and per-subnet filters; refusing beats silently shaping everything.
        if (conf.ShapedSubnets is { Count: > 0 } || conf.UnshapedSubnets is { Count: > 0 })
        {
            throw new CniException(CniErrorCode.UnsupportedField,
                "bandwidth: shapedSubnets and unshapedSubnets are not supported by this plugin; remove them to shape all traffic");
        }
        ulong ingressRate = conf.IngressRate, ingressBurst = conf.IngressBurst;
        ulong egressRate = conf.EgressRate, egressBurst = conf.EgressBurst;
        if (request.RuntimeConfig?.Bandwidth is { } capability)
        {
            ingressRate = capability.IngressRate;
            ingressBurst = capability.IngressBurst;
            egressRate = capability.EgressRate;
            egressBurst = capability.EgressBurst;
        }
        return new BandwidthLimits(
            ingressRate, ingressBurst, ToTbf("ingress", ingressRate, ingressBurst, clock),
            egressRate, egressBurst, ToTbf("egress", egressRate, egressBurst, clock));
    }

    private static TbfParameters? ToTbf(string direction, ulong rateBits, ulong burstBits, PschedClock clock)
    {
        if (rateBits == 0 && burstBits == 0)
        {
            return null;
        }
        if (rateBits == 0 || burstBits == 0)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig,
                $"bandwidth: {direction}Rate and {direction}Burst must be set together (got rate {rateBits}, burst {burstBits} bits)");
        }
        if (rateBits < 8 || burstBits < 8)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig,
                $"bandwidth: {direction}Rate and {direction}Burst must be at least 8 bits (one byte)");
        }
        // Bursts beyond 32 bits of bytes (the tbf limit) saturate inside FromBandwidth rather than wrapping.
        return TbfParameters.FromBandwidth(rateBits, burstBits, clock);
    }
}
