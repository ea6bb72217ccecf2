namespace Cni.Net.Conventions;

/// <summary>
/// Which netfilter layout a plugin writes when its config names none (portmap <c>backend</c>, bridge/ptp
/// <c>ipMasqBackend</c>), decided as plugins v1.9.1 decide it so that both implementations on one node pick the same:
/// <c>iptables</c>, unless iptables is unavailable and nftables is available. The reference asks the iptables binary
/// (it drives it); this library writes iptables rules over nf_tables itself, so "iptables available" here means an
/// <c>iptables</c> executable on the PATH — the only case where the two could differ is a node where the reference
/// fails anyway.
/// </summary>
public static class ReferenceBackendChoice
{
    /// <summary>The iptables layout.</summary>
    public const string Iptables = "iptables";

    /// <summary>The native nftables layout.</summary>
    public const string Nftables = "nftables";

    /// <summary>
    /// <paramref name="configured"/> when given (validated), else the reference's default for this node.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="configured"/> is neither <c>iptables</c> nor <c>nftables</c>.</exception>
    public static string Resolve(string? configured, string? path = null)
    {
        if (configured is not null)
        {
            return configured is Iptables or Nftables
                ? configured
                : throw new ArgumentException($"unrecognized backend \"{configured}\" (iptables or nftables)");
        }
        if (IptablesOnPath(path ?? Environment.GetEnvironmentVariable("PATH")))
        {
            return Iptables;
        }
        return KernelFacilities.ProbeNfTables() is null ? Nftables : Iptables;
    }

    internal static bool IptablesOnPath(string? path)
    {
        foreach (string dir in (path ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            // One access(2) per directory, the check of Go's exec.LookPath: a path walk is not free on a node whose
            // dentry cache holds every pod namespace's /proc/sys and /sys entries.
            if (Cni.Net.Interop.Syscalls.access(Path.Combine(dir, "iptables"), Cni.Net.Interop.Syscalls.X_OK) == 0)
            {
                return true;
            }
        }
        return false;
    }
}
