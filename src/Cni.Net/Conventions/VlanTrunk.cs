namespace Cni.Net.Conventions;

/// <summary>
/// bridge's <c>vlanTrunk</c> (plugins v1.4+): entries <c>{"id": n}</c> and/or <c>{"minID": a, "maxID": b}</c>, turned into
/// the sorted set of VLAN ids the host port carries tagged. Validation and messages follow the reference plugin
/// (plugins/main/bridge/bridge.go, collectVlanTrunk, v1.9.1).
/// </summary>
public static class VlanTrunk
{
    /// <summary>The highest VLAN id the bridge accepts.</summary>
    public const int MaxId = 4094;

    /// <summary>
    /// The VLAN ids of <paramref name="entries"/>, ascending and without duplicates; empty when none.
    /// </summary>
    /// <param name="entries">Each entry's <c>id</c>, <c>minID</c> and <c>maxID</c> (null when absent).</param>
    /// <exception cref="ArgumentException">An id is out of 1…4094, a range is reversed, or only one end of a range is given.</exception>
    public static IReadOnlyList<int> Collect(IEnumerable<(int? Id, int? MinId, int? MaxId)> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var ids = new SortedSet<int>();
        foreach ((int? id, int? minId, int? maxId) in entries)
        {
            switch (minId, maxId)
            {
                case (int min, int max):
                    if (min is <= 0 or > MaxId)
                    {
                        throw new ArgumentException("incorrect trunk minID parameter");
                    }
                    if (max is <= 0 or > MaxId)
                    {
                        throw new ArgumentException("incorrect trunk maxID parameter");
                    }
                    if (max < min)
                    {
                        throw new ArgumentException("minID is greater than maxID in trunk parameter");
                    }
                    for (int v = min; v <= max; v++)
                    {
                        ids.Add(v);
                    }
                    break;
                case (null, int):
                    throw new ArgumentException("minID and maxID should be configured simultaneously, minID is missing");
                case (int, null):
                    throw new ArgumentException("minID and maxID should be configured simultaneously, maxID is missing");
            }
            if (id is int single)
            {
                if (single is <= 0 or > MaxId)
                {
                    throw new ArgumentException("incorrect trunk id parameter");
                }
                ids.Add(single);
            }
        }
        return [.. ids];
    }
}
