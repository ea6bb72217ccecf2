namespace Cni.Net.Benchmarks;

/// <summary>
/// The guard of benchmarks that change node-level state (rules, conntrack entries): as the integration tests do, the
/// caller records the namespace it started in (CNI_NET_TEST_OUTER_NETNS), and the benchmark must run in another one.
/// </summary>
internal static class PrivateNetworkNamespace
{
    /// <exception cref="InvalidOperationException">This process runs in the namespace the caller started in, or no caller said.</exception>
    public static void Require(string whatItChanges)
    {
        string self = new FileInfo("/proc/self/ns/net").ResolveLinkTarget(false)?.Name ?? "";
        string? outer = Environment.GetEnvironmentVariable("CNI_NET_TEST_OUTER_NETNS");
        if (string.IsNullOrEmpty(outer) || self == outer)
        {
            throw new InvalidOperationException($"this benchmark changes {whatItChanges}: run it through eng/bench.sh, or as " +
                "CNI_NET_TEST_OUTER_NETNS=$(readlink /proc/self/ns/net) unshare --net -- <benchmark exe>; never in the root namespace");
        }
    }
}
