using System.Net;
using Cni.Net.Ipam;
using Cni.Net.Spec;

namespace Cni.Net.Samples.HostLocal;

/// <summary>
/// What one invocation works with, resolved from the config, the runtime config and CNI_ARGS exactly as the
/// reference plugin resolves them: runtime <c>ipRanges</c> first, then the legacy single range, then <c>ranges</c>.
/// </summary>
internal sealed class HostLocalSettings
{
    private HostLocalSettings(HostLocalNetConf conf, HostLocalIpamConf ipam, IReadOnlyList<IPRangeSet> rangeSets,
        IReadOnlyList<IPAddress> requested)
    {
        Conf = conf;
        Network = conf.Name!;
        DataDirectory = ipam.DataDir;
        RangeSets = rangeSets;
        Requested = requested;
        Routes = ipam.Routes ?? [];
        ResolvConf = ipam.ResolvConf;
    }

    public HostLocalNetConf Conf { get; }

    public string Network { get; }

    public string? DataDirectory { get; }

    public IReadOnlyList<IPRangeSet> RangeSets { get; }

    public IReadOnlyList<IPAddress> Requested { get; }

    public IReadOnlyList<RouteConf?> Routes { get; }

    public string? ResolvConf { get; }

    /// <summary>
    /// Only what releasing needs (name and dataDir): DEL and GC must work even when the ranges or CNI_ARGS
    /// became invalid after the ADD (the reference then fails DEL and leaks the address).
    /// </summary>
    public static HostLocalSettings ResolveStoreOnly(HostLocalNetConf conf)
    {
        HostLocalIpamConf ipam = conf.Ipam
            ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, "IPAM config missing 'ipam' key");
        if (string.IsNullOrEmpty(conf.Name))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "the network config has no 'name'");
        }
        return new HostLocalSettings(conf, ipam, [], []);
    }

    /// <summary>Everything ADD, CHECK and STATUS work with.</summary>
    /// <param name="conf">The parsed config.</param>
    /// <param name="cniArgs">CNI_ARGS, or null (STATUS).</param>
    /// <param name="forStatus">STATUS gets no runtime config: a "usePodCidr" set without runtime ranges is left out.</param>
    /// <exception cref="CniException">Code 7 for a bad config (the message names the key), code 4 for bad CNI_ARGS.</exception>
    public static HostLocalSettings Resolve(HostLocalNetConf conf, CniArgs? cniArgs, bool forStatus = false)
    {
        HostLocalIpamConf ipam = conf.Ipam
            ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, "IPAM config missing 'ipam' key");
        if (string.IsNullOrEmpty(conf.Name))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "the network config has no 'name'");
        }

        var requested = new List<IPAddress>();
        if (cniArgs is not null)
        {
            // As the reference (types.LoadArgs into IPAMEnvArgs): IP is the one key; others need IgnoreUnknown.
            cniArgs.EnsureKnown("IP");
            if (cniArgs["IP"] is { Length: > 0 } ip)
            {
                requested.Add(ParseRequested(ip, "CNI_ARGS IP"));
            }
        }
        foreach (string? ip in conf.Args?.Cni?.IPs ?? [])
        {
            requested.Add(ParseRequested(ip, "args.cni.ips"));
        }
        foreach (string? ip in conf.RuntimeConfig?.IPs ?? [])
        {
            requested.Add(ParseRequested(ip, "runtimeConfig.ips"));
        }

        // The order, the checks and the "usePodCidr" placeholder live in the library.
        IReadOnlyList<IPRangeSet> sets = HostLocalRangeSets.Resolve(ToSpec(conf.RuntimeConfig?.IPRanges), ToSpec(ipam),
            ToSpec(ipam.Ranges), allowUnresolvedPlaceholder: forStatus);

        // CNI 0.2.0 and older carry one address per family.
        if (conf.CniVersion is { } v && CniVersion.TryParse(v, out CniVersion version) && version < CniVersion.V0_3_0
            && (sets.Count(s => s.IsIPv6) > 1 || sets.Count(s => !s.IsIPv6) > 1))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig,
                $"CNI version {v} does not support more than 1 address per family");
        }
        return new HostLocalSettings(conf, ipam, sets, requested);
    }

    private static IpRange? ToSpec(RangeConf? r) =>
        r is null ? null : new IpRange { Subnet = r.Subnet!, RangeStart = r.RangeStart, RangeEnd = r.RangeEnd, Gateway = r.Gateway };

    private static List<IReadOnlyList<IpRange?>?>? ToSpec(IReadOnlyList<IReadOnlyList<RangeConf?>?>? sets) =>
        sets?.Select(set => set?.Select(ToSpec).ToList()).ToList<IReadOnlyList<IpRange?>?>();

    private static IPAddress ParseRequested(string? text, string source)
    {
        text ??= "";
        ReadOnlySpan<char> span = text.AsSpan();
        int slash = span.IndexOf('/');
        if (slash >= 0)
        {
            span = span[..slash];
        }
        if (!IPAddress.TryParse(span, out IPAddress? ip) || (!span.Contains(':') && span.Count('.') != 3))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"{source}: cannot understand ip '{text}'");
        }
        return ip;
    }
}
