using Cni.Net.Spec;

namespace Cni.Net.Ipam;

/// <summary>
/// The range sets host-local allocates from, resolved from its config as the reference plugin resolves them — the
/// runtime's <c>ipRanges</c> first, then the legacy single range at the top of <c>ipam</c>, then <c>ranges</c> — plus
/// the kubelet-era placeholder <c>"subnet": "usePodCidr"</c>: a range set that stands for the node's pod CIDR, which the
/// runtime hands over in <c>runtimeConfig.ipRanges</c> (the kubelet sends <c>[[{"subnet": &lt;pod CIDR&gt;}]]</c> to
/// plugins declaring the <c>ipRanges</c> capability).
/// </summary>
public static class HostLocalRangeSets
{
    /// <summary>The <c>subnet</c> value that stands for the range sets of <c>runtimeConfig.ipRanges</c>.</summary>
    public const string UsePodCidr = "usePodCidr";

    /// <summary>
    /// Resolves and validates the range sets. Without a placeholder the runtime's sets come first (the reference
    /// order). With one, the runtime's sets take the placeholder's place and are not prepended again: a single
    /// range <c>{"subnet": "usePodCidr"}</c> (legacy or as a set of its own in <c>ranges</c>) becomes every set the
    /// runtime handed over — one per address family for a dual-stack node.
    /// </summary>
    /// <param name="runtimeIpRanges"><c>runtimeConfig.ipRanges</c>, or null.</param>
    /// <param name="singleRange">The legacy range at the top of <c>ipam</c> (used when its <c>subnet</c> is set), or null.</param>
    /// <param name="ranges"><c>ipam.ranges</c>, or null.</param>
    /// <param name="allowUnresolvedPlaceholder">
    /// For verbs that get no runtime config (STATUS): a placeholder without runtime ranges is left out instead of
    /// failing, so the result may be empty.
    /// </param>
    /// <returns>The sets in allocation order; set <c>i</c> keeps its <c>last_reserved_ip.i</c>.</returns>
    /// <exception cref="CniException">Code 7 (<see cref="CniErrorCode.InvalidNetworkConfig"/>): a range is invalid, two
    /// sets overlap, no range is given, or a placeholder is misused or has no runtime ranges to stand for.</exception>
    public static IReadOnlyList<IPRangeSet> Resolve(IReadOnlyList<IReadOnlyList<IpRange?>?>? runtimeIpRanges, IpRange? singleRange,
        IReadOnlyList<IReadOnlyList<IpRange?>?>? ranges, bool allowUnresolvedPlaceholder = false)
    {
        var configured = new List<(IReadOnlyList<IpRange?>? Set, string Where)>();
        if (!string.IsNullOrEmpty(singleRange?.Subnet))
        {
            configured.Add(([singleRange], "ipam"));
        }
        foreach (IReadOnlyList<IpRange?>? set in ranges ?? [])
        {
            configured.Add((set, "ipam.ranges"));
        }
        int placeholder = FindPlaceholder(configured);
        IReadOnlyList<IReadOnlyList<IpRange?>?> runtime = runtimeIpRanges ?? [];
        if (placeholder >= 0 && runtime.Count == 0 && !allowUnresolvedPlaceholder)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig,
                $"\"subnet\": \"{UsePodCidr}\" stands for the node's pod CIDR, which the runtime hands over in runtimeConfig.ipRanges, " +
                "but none was given: declare the \"ipRanges\" capability on the plugin and give the node a pod CIDR (kubelet --pod-cidr)");
        }

        var sets = new List<IPRangeSet>();
        if (placeholder < 0)
        {
            AddRuntime(sets, runtime);
        }
        for (int i = 0; i < configured.Count; i++)
        {
            if (i == placeholder)
            {
                AddRuntime(sets, runtime);
                continue;
            }
            sets.Add(ToRangeSet(configured[i].Set, sets.Count, configured[i].Where));
        }
        if (sets.Count == 0 && !(placeholder >= 0 && allowUnresolvedPlaceholder))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "no IP ranges specified: set ipam.ranges or ipam.subnet");
        }
        try
        {
            IPRangeSet.ValidateDisjoint(sets);
        }
        catch (ArgumentException e)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, CniException.MessageWithoutParameter(e));
        }
        return sets;
    }

    /// <summary>Whether a range is the placeholder.</summary>
    /// <param name="range">The range, or null.</param>
    public static bool IsPlaceholder(IpRange? range) => string.Equals(range?.Subnet, UsePodCidr, StringComparison.Ordinal);

    /// <summary>The index of the one configured set that is the placeholder, or -1; misuse is a code-7 error.</summary>
    private static int FindPlaceholder(List<(IReadOnlyList<IpRange?>? Set, string Where)> configured)
    {
        int found = -1;
        for (int i = 0; i < configured.Count; i++)
        {
            (IReadOnlyList<IpRange?>? set, string where) = configured[i];
            if (set is null || !set.Any(IsPlaceholder))
            {
                continue;
            }
            if (set.Count != 1)
            {
                throw Misused($"{where}: a \"{UsePodCidr}\" range must be alone in its range set (it becomes whole range sets)");
            }
            if (set[0] is { RangeStart: not null } or { RangeEnd: not null } or { Gateway: not null })
            {
                throw Misused($"{where}: a \"{UsePodCidr}\" range takes rangeStart, rangeEnd and gateway from runtimeConfig.ipRanges; it cannot set them");
            }
            if (found >= 0)
            {
                throw Misused($"{where}: only one range set may be \"{UsePodCidr}\"");
            }
            found = i;
        }
        return found;
    }

    private static void AddRuntime(List<IPRangeSet> sets, IReadOnlyList<IReadOnlyList<IpRange?>?> runtime)
    {
        foreach (IReadOnlyList<IpRange?>? set in runtime)
        {
            if (set is not null && set.Any(IsPlaceholder))
            {
                throw Misused($"runtimeConfig.ipRanges: \"{UsePodCidr}\" is a config placeholder, not a range a runtime can hand over");
            }
            sets.Add(ToRangeSet(set, sets.Count, "runtimeConfig.ipRanges"));
        }
    }

    private static IPRangeSet ToRangeSet(IReadOnlyList<IpRange?>? set, int index, string where)
    {
        try
        {
            if (set is null)
            {
                throw new ArgumentException("a range set must be a list of ranges");
            }
            return new IPRangeSet(set.Select(r => r is null
                ? throw new ArgumentException("a range must be an object")
                : IPRange.Parse(r.Subnet, r.RangeStart, r.RangeEnd, r.Gateway)));
        }
        catch (ArgumentException e)
        {
            string key = e.ParamName is "subnet" or "rangeStart" or "rangeEnd" or "gateway" ? $" (key '{e.ParamName}')" : "";
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"invalid range set {index} in {where}{key}: {CniException.MessageWithoutParameter(e)}");
        }
    }

    private static CniException Misused(string message) => new(CniErrorCode.InvalidNetworkConfig, message);
}
