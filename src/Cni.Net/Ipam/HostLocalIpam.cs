using System.Net;
using Cni.Net.Spec;

namespace Cni.Net.Ipam;

/// <summary>
/// The host-local operations over all range sets of a network, as the plugin's verbs need them: one address per
/// range set (dual stack is two sets), requested addresses routed to the set that contains them, and
/// all-or-nothing ADD.
/// </summary>
public static class HostLocalIpam
{
    /// <summary>
    /// Allocates one address from each range set for an attachment. A requested address is used by the first set
    /// that contains it; each set takes at most one. When any set fails, or a requested address fits no set,
    /// the addresses reserved by this call are released again before the exception propagates.
    /// </summary>
    /// <param name="store">The open store of the network.</param>
    /// <param name="rangeSets">The config's <c>ranges</c>; set <c>i</c> records its last address in <c>last_reserved_ip.i</c>.</param>
    /// <param name="containerId">The container id.</param>
    /// <param name="ifName">The interface name.</param>
    /// <param name="requested">Addresses asked for through CNI_ARGS <c>IP=</c>, <c>args.cni.ips</c> or the <c>ips</c> capability.</param>
    /// <returns>One allocation per range set, in the order of the sets.</returns>
    /// <exception cref="ArgumentException">A requested address fits no range set, or is a gateway, network or broadcast address.</exception>
    /// <exception cref="CniException">A set is exhausted (code 100), a requested address is taken (101), or the attachment
    /// already holds addresses (102).</exception>
    public static IReadOnlyList<HostLocalAllocation> Allocate(HostLocalStore store, IReadOnlyList<IPRangeSet> rangeSets,
        string containerId, string ifName, IReadOnlyList<IPAddress>? requested = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(rangeSets);
        var pending = new List<IPAddress>();
        foreach (IPAddress a in requested ?? [])
        {
            IPAddress c = IPAddressMath.Canonicalize(a);
            if (!pending.Contains(c))
            {
                pending.Add(c);
            }
        }

        var done = new List<HostLocalAllocation>(rangeSets.Count);
        try
        {
            for (int i = 0; i < rangeSets.Count; i++)
            {
                IPAddress? wanted = null;
                for (int j = 0; j < pending.Count; j++)
                {
                    if (rangeSets[i].RangeFor(pending[j]) is not null)
                    {
                        wanted = pending[j];
                        pending.RemoveAt(j);
                        break;
                    }
                }
                done.Add(new HostLocalAllocator(store, rangeSets[i], i).Allocate(containerId, ifName, wanted));
            }
            if (pending.Count != 0)
            {
                throw new ArgumentException(
                    "failed to allocate all requested IPs: " + string.Join(' ', pending.Select(IPAddressMath.Format)) +
                    " (not in any range set, or a second address for one set)", nameof(requested));
            }
            return done;
        }
        catch
        {
            foreach (HostLocalAllocation a in done)
            {
                store.ReleaseAddress(a.Address);
            }
            throw;
        }
    }

    /// <summary>Whether any range set is exhausted, i.e. ADD cannot succeed (STATUS answers code 50 then).</summary>
    /// <returns>The index of the first exhausted set, or -1.</returns>
    public static int FindExhausted(HostLocalStore store, IReadOnlyList<IPRangeSet> rangeSets)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(rangeSets);
        for (int i = 0; i < rangeSets.Count; i++)
        {
            if (new HostLocalAllocator(store, rangeSets[i], i).IsExhausted())
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>
    /// Releases every reservation that belongs to none of <paramref name="validAttachments"/> (the GC verb's
    /// <c>cni.dev/valid-attachments</c>). A file of the old format (container id only) stays while its container
    /// id has any valid attachment.
    /// </summary>
    /// <returns>The released reservations.</returns>
    public static IReadOnlyList<HostLocalReservation> CollectGarbage(HostLocalStore store,
        IEnumerable<(string ContainerId, string IfName)> validAttachments)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(validAttachments);
        var valid = new HashSet<(string, string)>();
        var validIds = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string id, string ifName) in validAttachments)
        {
            valid.Add((id.Trim(), ifName));
            validIds.Add(id.Trim());
        }
        var released = new List<HostLocalReservation>();
        foreach (HostLocalReservation r in store.ListReservations())
        {
            bool keep = r.IfName.Length == 0 ? validIds.Contains(r.ContainerId) : valid.Contains((r.ContainerId, r.IfName));
            if (!keep && store.ReleaseAddress(r.Address))
            {
                released.Add(r);
            }
        }
        return released;
    }
}
